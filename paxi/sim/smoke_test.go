package sim_test

import (
	"os"
	"testing"

	"github.com/agora-consensus/agora/paxi/sim"
	"github.com/agora-consensus/agora/paxi/sim/simtest"
)

func TestSmoke(t *testing.T) {
	res, err := sim.Run(sim.Config{Protocol: simtest.Name, N: 3, Latency: sim.WAN(3), Seed: 1, Workload: sim.Workload{Clients: 3, Conflict: 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	res.Report(os.Stdout)
}
