package benchmark

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/agora-consensus/agora/paxi"
	_ "github.com/agora-consensus/agora/protocols/all"
)

// TestLocalClusterServesAWorkload runs a short workload on every registered
// protocol and checks that commands complete without errors.
func TestLocalClusterServesAWorkload(t *testing.T) {
	for _, algo := range paxi.Names() {
		t.Run(algo, func(t *testing.T) {
			l, err := StartLocal(algo, 3, nil, "", false)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			w := DefaultWorkload()
			// The warm-up covers start-up: until a replica has reached a
			// peer, the transport drops what it sends there, and a protocol
			// recovers by its retry timer (retry_ticks, 500 ms for
			// Mencius, which stalls on any lost proposal or skip; 13 of 30
			// runs measured nothing with a 100 ms warm-up).
			w.Duration, w.Warmup = paxi.Duration(300*time.Millisecond), paxi.Duration(time.Second)
			w.Clients, w.Outstanding, w.Conflicts = 1, 8, 25
			r, err := Run(context.Background(), w, l.Addrs())
			if err != nil {
				t.Fatal(err)
			}
			if r.Ops == 0 || r.Errors > 0 || r.Trouble() {
				t.Fatalf("%s: %v", algo, r)
			}
		})
	}
}

// BenchmarkEndToEnd measures saturation throughput and latency through
// in-process replicas over loopback TCP with the binary client: latency
// with one command in flight, and throughput at two pipeline depths
// (saturation is the higher of the two). Each
// iteration is one timed run; the figures are reported as custom metrics.
//
//	go test ./benchmark -run '^$' -bench EndToEnd -benchtime 1x
//
// AGORA_BENCH_DURATION changes the measured window (default 5s).
func BenchmarkEndToEnd(b *testing.B) {
	dur := 5 * time.Second
	if s := os.Getenv("AGORA_BENCH_DURATION"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			b.Fatal(err)
		}
		dur = d
	}
	cases := []struct {
		algo      string
		n         int
		conflicts float64
	}{
		{"unreplicated", 3, 0},
		{"epaxos", 3, 0}, {"epaxos", 3, 2}, {"epaxos", 3, 25}, {"epaxos", 3, 100},
		{"epaxos", 5, 0}, {"epaxos", 5, 2}, {"epaxos", 5, 25}, {"epaxos", 5, 100},
	}
	for _, c := range cases {
		// Saturation is the best of the deeper pipelines: with 256 in
		// flight both protocols still had idle CPU (small batches).
		for _, out := range []int{1, 256, 2048} {
			name := fmt.Sprintf("%s/n=%d/conflicts=%g/outstanding=%d", c.algo, c.n, c.conflicts, out)
			b.Run(name, func(b *testing.B) {
				l, err := StartLocal(c.algo, c.n, nil, "", false)
				if err != nil {
					b.Fatal(err)
				}
				defer l.Close()
				w := DefaultWorkload()
				w.Duration, w.Warmup = paxi.Duration(dur), paxi.Duration(dur/5)
				w.Conflicts, w.Writes = c.conflicts, 1
				w.Clients, w.Outstanding = 1, out
				if out == 1 {
					w.Targets = []paxi.ID{"1.1"}
				} else {
					w.Clients, w.Outstanding = 2, out/2
				}
				var r Result
				for i := 0; i < b.N; i++ {
					r, err = Run(context.Background(), w, l.Addrs())
					if err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(r.Throughput, "ops/s")
				b.ReportMetric(float64(r.P50.Microseconds()), "p50-µs")
				b.ReportMetric(float64(r.P99.Microseconds()), "p99-µs")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}
