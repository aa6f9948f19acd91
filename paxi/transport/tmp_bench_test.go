package transport

import "testing"

func BenchmarkTmpDecode(b *testing.B) {
	m := newBatch(1000)
	buf, _ := Marshal(nil, m)
	b.ReportAllocs()
	for b.Loop() {
		Unmarshal(buf)
	}
}

func BenchmarkTmpCheck(b *testing.B) {
	m := newBatch(1000)
	buf, _ := Marshal(nil, m)
	for b.Loop() {
		checkMsgpack(buf[2:])
	}
}
