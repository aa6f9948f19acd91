package transport

import "testing"

// BenchmarkCodecBatch encodes and decodes one message carrying a batch of
// 1000 commands; the target is under 100 µs per iteration.
func BenchmarkCodecBatch(b *testing.B) {
	m := newBatch(1000)
	buf, err := Marshal(nil, m)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf, err = Marshal(buf[:0], m)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Unmarshal(buf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCodecSmall encodes and decodes one small message.
func BenchmarkCodecSmall(b *testing.B) {
	m := &Small{Ballot: 3, Slot: 100000, Command: newBatch(1).Commands[0]}
	buf, err := Marshal(nil, m)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf, err = Marshal(buf[:0], m)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Unmarshal(buf); err != nil {
			b.Fatal(err)
		}
	}
}
