package sim_test

import (
	"math"
	"testing"
	"time"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/sim"
)

// An open-loop load arrives at its rate whatever the latency: one client
// per replica closed-loop on a wide area completes about 1/RTT commands a
// second, open-loop at 100/s it completes about 100/s at each replica.
func TestOpenLoopKeepsItsRate(t *testing.T) {
	closed := echoConfig(3)
	closed.Check.NoLinearizability = true
	res, err := sim.Run(closed)
	if err != nil {
		t.Fatal(err)
	}
	mustPass(t, res)
	open := closed
	open.Workload.Rate = 100
	ores, err := sim.Run(open)
	if err != nil {
		t.Fatal(err)
	}
	mustPass(t, ores)
	want := 3 * 100.0
	if math.Abs(ores.Throughput-want) > 0.15*want {
		t.Fatalf("open loop at 3x100/s: throughput %.1f/s, want about %.0f", ores.Throughput, want)
	}
	if res.Throughput > want/3 {
		t.Fatalf("closed loop with one client per replica: throughput %.1f/s, want far below the open loop's %.0f", res.Throughput, want)
	}
	// Latency stays the network's: the open loop adds clients, not queueing.
	if ores.All.P50 > res.All.P50+time.Millisecond {
		t.Fatalf("open-loop median %v, closed-loop %v: want the same", ores.All.P50, res.All.P50)
	}
}

// Zipf keys with exponent 1 over 10 keys put 1/H(10) = 34% of the commands
// on the first key; uniform keys put 10% there.
func TestZipfKeys(t *testing.T) {
	for _, tc := range []struct {
		zipf, want float64
	}{{0, 0.10}, {1, 1 / 2.928968}} {
		cfg := echoConfig(3)
		cfg.Workload.Keys = 10
		cfg.Workload.Conflict = 1
		cfg.Workload.Zipf = tc.zipf
		cfg.Workload.Rate = 600
		// The echo protocol does not replicate: one replica's clients alone
		// share keys linearizably.
		cfg.Workload.ClientsAt = map[paxi.ID]int{"2.1": 0, "3.1": 0}
		s := mustNew(t, cfg)
		res := s.RunAll()
		mustPass(t, res)
		first, all := 0, 0
		for _, o := range s.History() {
			all++
			if o.Key == "k0" {
				first++
			}
		}
		if got := float64(first) / float64(all); math.Abs(got-tc.want) > 0.03 {
			t.Fatalf("zipf %g: %.3f of %d commands on the first key, want %.3f", tc.zipf, got, all, tc.want)
		}
	}
}
