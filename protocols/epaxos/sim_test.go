package epaxos

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/agora-consensus/agora/paxi/sim"
	"github.com/agora-consensus/agora/paxi/transport"
)

// codec passes every message and record through the wire format.
var codec = transport.RoundTrip

func runSim(t *testing.T, cfg sim.Config) *sim.Result {
	t.Helper()
	cfg.Protocol = "epaxos"
	cfg.Codec = codec
	res, err := sim.Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed() {
		var b strings.Builder
		res.Report(&b)
		t.Fatalf("seed %d failed (replay: go test ./protocols/epaxos/ -run '^%s$' -epaxos.seed=%d):\n%s", res.Seed, t.Name(), res.Seed, b.String())
	}
	return res
}

// TestSimulatedWideArea runs the paper's wide-area setting in the
// simulator with every check on: linearizable history, identical order of
// interfering commands, and liveness.
func TestSimulatedWideArea(t *testing.T) {
	seed := testSeed(t)
	for _, n := range []int{3, 5} {
		for _, conflict := range []float64{0, 0.25, 1} {
			t.Run(fmt.Sprintf("n=%d/conflict=%v", n, conflict), func(t *testing.T) {
				res := runSim(t, sim.Config{
					N: n, Seed: seed, Latency: sim.WAN(n), Duration: 2 * time.Second,
					Workload: sim.Workload{Clients: 2, Keys: 1, Conflict: conflict},
				})
				t.Logf("completed %d, p50 %v, p99 %v", res.All.Count, res.All.P50, res.All.P99)
				if res.All.Count == 0 {
					t.Fatal("no command completed")
				}
			})
		}
	}
}

func TestSimulatedLossyNetwork(t *testing.T) {
	seed := testSeed(t)
	for _, n := range []int{3, 5} {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			runSim(t, sim.Config{
				N: n, Seed: seed, Duration: 2 * time.Second,
				Network:  sim.Network{Faults: sim.LinkFaults{Drop: 0.05, Duplicate: 0.05, Reorder: true}},
				Workload: sim.Workload{Clients: 3, Keys: 3, Conflict: 0.5, Timeout: time.Second},
			})
		})
	}
}
