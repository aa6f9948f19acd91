package epaxos

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/sim"
)

// TestSimulatedPermanentCrashAfterRandomFaults runs random faults
// (crashes, restarts, partitions, loss) for three seconds, then crashes one
// replica for good under load with every command conflicting: its
// in-flight instances must be recovered, and every command of a live
// client answered, with every check on. AGORA_RECOVERY_SEEDS sets the
// seeds per size (default 2); a failing seed prints its replay command.
func TestSimulatedPermanentCrashAfterRandomFaults(t *testing.T) {
	seeds := 2
	if v, err := strconv.Atoi(os.Getenv("AGORA_RECOVERY_SEEDS")); err == nil && v > 0 {
		seeds = v
	}
	base := testSeed(t)
	for _, n := range []int{3, 5} {
		for k := range seeds {
			seed := base + int64(k)
			t.Run(fmt.Sprintf("n=%d/seed=%d", n, seed), func(t *testing.T) {
				victim := paxi.ID(fmt.Sprintf("%d.1", 1+int(seed)%n))
				cfg := sim.Config{
					Protocol: "epaxos", Codec: codec, N: n, Seed: seed, Latency: sim.WAN(n),
					Duration: 6 * time.Second,
					Workload: sim.Workload{Clients: 3, Keys: 1, Conflict: 1},
					Random:   &sim.RandomFaults{Stop: 3 * time.Second},
					Schedule: []sim.Action{{At: 3500 * time.Millisecond, Crash: victim}},
				}
				res, err := sim.Run(cfg)
				if err != nil {
					t.Fatal(err)
				}
				if res.Failed() {
					var b strings.Builder
					res.Report(&b)
					t.Fatalf("seed %d failed (replay: go test ./protocols/epaxos/ -run '^TestSimulatedPermanentCrashAfterRandomFaults$/^n=%d$' -epaxos.seed=%d):\n%s", seed, n, seed, b.String())
				}
			})
		}
	}
}
