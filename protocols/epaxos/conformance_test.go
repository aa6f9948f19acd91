package epaxos

import (
	"fmt"
	"os"
	"testing"

	"github.com/agora-consensus/agora/paxi/sim/conformance"
)

// TestConformance runs the simulator's scenario suite with recovery
// declared (recovery.go): the scenarios that crash replicas with commands
// in flight, for good or for a while, run too. N = 7 runs on a LAN (the
// paper has five sites), so it simulates many more commands and takes
// about ten minutes: only with AGORA_CONFORMANCE_N7=1. With F replicas
// crashed for good (minority_crash), the instances whose leader is among
// them are recovered by the validation phase when their Prepare answers
// are ambiguous (recovery_validate.go); docs/RECOVERY.md has the seeds
// that still fail the scenario's timing.
func TestConformance(t *testing.T) {
	sizes := []int{3, 5}
	if os.Getenv("AGORA_CONFORMANCE_N7") != "" {
		sizes = append(sizes, 7)
	}
	for _, n := range sizes {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			conformance.Run(t, "epaxos", nil,
				conformance.WithReplicas(n),
				conformance.WithCodec(codec),
				conformance.WithCapabilities(conformance.Capabilities{Recovery: true, Snapshots: true}))
		})
	}
}
