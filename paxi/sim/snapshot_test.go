package sim_test

import (
	"strings"
	"testing"
	"time"

	"github.com/agora-consensus/agora/paxi/sim"
	"github.com/agora-consensus/agora/paxi/transport"
	_ "github.com/agora-consensus/agora/protocols/epaxos"
	_ "github.com/agora-consensus/agora/protocols/mencius"
	_ "github.com/agora-consensus/agora/protocols/multipaxos"
)

// After many snapshots and truncations, with replicas crashed at every step
// of taking a snapshot (before the rename, after it, before truncation),
// every replica restarts from its newest snapshot and the records after it,
// and the linearizability, execution-order and liveness checks pass.
func TestSnapshotsWithCrashesAtEveryStep(t *testing.T) {
	for _, proto := range []string{"multipaxos", "mencius", "epaxos"} {
		for seed := int64(1); seed <= 2; seed++ {
			cfg := sim.Config{
				Protocol: proto, N: 3, Seed: seed, Duration: 4 * time.Second, Codec: transport.RoundTrip,
				Workload:  sim.Workload{Clients: 4, Keys: 3, Conflict: 0.5, Timeout: time.Second},
				Snapshots: &sim.Snapshots{Every: 40, CrashEvery: 3},
			}
			res, err := sim.Run(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if res.Failed() {
				var b strings.Builder
				res.Report(&b)
				t.Fatalf("%s seed %d failed (replay: go test ./paxi/sim/ -run '^%s$'):\n%s", proto, seed, t.Name(), b.String())
			}
			steps := map[string]int{}
			restarts := 0
			for _, f := range res.Faults {
				if _, step, ok := strings.Cut(f, "at snapshot step "); ok {
					steps[step]++
				}
				if strings.Contains(f, "restart") {
					restarts++
				}
			}
			if len(steps) != 3 || restarts < 3 || res.All.Count < 500 {
				t.Fatalf("%s seed %d: crashes at snapshot steps %v, %d restarts, %d commands; want every step, restarts and load", proto, seed, steps, restarts, res.All.Count)
			}
			// The state machine skips a command it already applied, so the
			// checks above pass even when a restarted replica executes again
			// what its snapshot holds; the skips show it. (EPaxos: a few
			// dozen from clients' resends; 2,900-8,900 when the checkpoint
			// leaves out the executed instances.)
			dups := uint64(0)
			for _, p := range res.PerReplica {
				dups += p.Duplicates
			}
			if proto == "epaxos" && dups > uint64(res.All.Count)/4 {
				t.Fatalf("%s seed %d: %d commands skipped as duplicates for %d commands: restarted replicas execute again what their snapshots hold", proto, seed, dups, res.All.Count)
			}
			t.Logf("%s seed %d: %d commands, crashes at snapshot steps %v, %d duplicates skipped", proto, seed, res.All.Count, steps, dups)
		}
	}
}
