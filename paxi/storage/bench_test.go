package storage

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkFileAppendSync measures group commit: each iteration appends a
// batch of 100-byte records and syncs it, so ns/op is the latency of one
// batch (one fsync) and records/s the throughput a replica could persist at.
// The fsync=false runs show what the log costs without the disk.
func BenchmarkFileAppendSync(b *testing.B) {
	for _, batch := range []int{1, 16, 256} {
		for _, fsync := range []bool{true, false} {
			b.Run(fmt.Sprintf("batch=%d/fsync=%v", batch, fsync), func(b *testing.B) {
				l, err := OpenFile(filepath.Join(b.TempDir(), "bench.log"), FileOptions{NoSync: !fsync})
				if err != nil {
					b.Fatal(err)
				}
				defer l.Close()
				benchAppendSync(b, l, batch)
			})
		}
	}
}

// BenchmarkOpenFile measures recovery: reading and checking a log of 100,000
// records of 100 bytes, clean and with a torn 1 MiB record at its end (the
// worst case for the scan that looks for valid data after a bad record).
func BenchmarkOpenFile(b *testing.B) {
	payload := bytes.Repeat([]byte("r"), 100)
	var clean bytes.Buffer
	clean.WriteString(fileMagic)
	for range 100_000 {
		clean.Write(frame(payload))
	}
	torn := append(bytes.Clone(clean.Bytes()), frame(bytes.Repeat([]byte{0}, 1<<20))[:1<<20]...)
	for _, c := range []struct {
		name string
		data []byte
	}{{"clean", clean.Bytes()}, {"torn-1MiB-tail", torn}} {
		b.Run(c.name, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "bench.log")
			b.SetBytes(int64(len(c.data)))
			for b.Loop() {
				b.StopTimer()
				if err := os.WriteFile(path, c.data, 0o644); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				l, err := OpenFile(path, FileOptions{NoSync: true, Log: quiet.Log})
				if err != nil {
					b.Fatal(err)
				}
				if len(l.Records()) != 100_000 {
					b.Fatalf("%d records", len(l.Records()))
				}
				l.Close()
			}
		})
	}
}

// BenchmarkLogAppendSync is BenchmarkFileAppendSync for the segmented Log
// (1 MiB segments, so that segment changes are part of the cost), to
// compare the two side by side.
func BenchmarkLogAppendSync(b *testing.B) {
	for _, batch := range []int{1, 256} {
		b.Run(fmt.Sprintf("batch=%d/fsync=true", batch), func(b *testing.B) {
			l, err := OpenLog(filepath.Join(b.TempDir(), "bench.log"), LogOptions{SegmentBytes: 1 << 20})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			benchAppendSync(b, l, batch)
		})
	}
}

// benchAppendSync appends batches of 100-byte records to l and syncs each,
// reporting records/s.
func benchAppendSync(b *testing.B, l Storage, batch int) {
	recs := make([][]byte, batch)
	for i := range recs {
		recs[i] = bytes.Repeat([]byte{byte('a' + i%26)}, 100)
	}
	b.SetBytes(int64(batch * 100))
	n := 0
	for b.Loop() {
		if err := l.Append(recs...); err != nil {
			b.Fatal(err)
		}
		if err := l.Sync(); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n*batch)/b.Elapsed().Seconds(), "records/s")
}
