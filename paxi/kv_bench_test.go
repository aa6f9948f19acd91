package paxi

import (
	"fmt"
	"strings"
	"testing"
)

// benchKV is a state machine as a benchmark leaves it: keys "k0".."kN-1"
// padded to 16 bytes with 100-byte values, and 256 clients whose windows
// hold a few out-of-order ids (the at-most-once table a snapshot carries).
func benchKV(keys int) *KV {
	kv := NewKV()
	val := strings.Repeat("v", 100)
	const clients = 256
	for i := 0; i < keys; i++ {
		c := uint64(i%clients + 1)
		id := uint64(i/clients + 1)
		kv.Apply(Command{Op: Put, Key: fmt.Sprintf("k%015d", i), Value: val, ClientID: c, CommandID: id})
	}
	for c := uint64(1); c <= clients; c++ {
		w := kv.window(c)
		for j := uint64(2); j < 6; j++ {
			kv.Apply(Command{Op: Get, Key: "k", ClientID: c, CommandID: w.low + 2*j})
		}
	}
	return kv
}

var benchSizes = []int{10_000, 100_000, 1_000_000}

// BenchmarkKVSnapshot is the whole encoding, as the simulator and a
// restart-free caller run it.
func BenchmarkKVSnapshot(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			kv := benchKV(n)
			b.ReportAllocs()
			b.ResetTimer()
			var size int
			for i := 0; i < b.N; i++ {
				snap, err := kv.Snapshot()
				if err != nil {
					b.Fatal(err)
				}
				size = len(snap)
			}
			b.ReportMetric(float64(size), "bytes")
		})
	}
}

// BenchmarkKVRestore decodes a snapshot, as a restart does.
func BenchmarkKVRestore(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			snap, err := benchKV(n).Snapshot()
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := NewKV().Restore(snap); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkKVFreeze is what a snapshot costs the event loop: the view
// (pointer swap and window copy) and, after the encoding, the Thaw of the
// writes made meanwhile (here 10,000).
func BenchmarkKVFreeze(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			kv := benchKV(n)
			val := strings.Repeat("w", 100)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				kv.Freeze()
				b.StopTimer()
				for j := 0; j < 10_000; j++ {
					kv.Apply(Command{Op: Put, Key: fmt.Sprintf("k%015d", (i*10_000+j)%n), Value: val})
				}
				b.StartTimer()
				kv.Thaw()
			}
		})
	}
}
