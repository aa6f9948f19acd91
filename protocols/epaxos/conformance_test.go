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
// about ten minutes: only with AGORA_CONFORMANCE_N7=1. Known gap: with F
// replicas crashed for good (minority_crash), an instance whose leader is
// among them can stay unrecovered at N >= 5 (recovery.go, case 4): the
// scenario fails for some seeds (7 of 2..21 at N = 5; seed 1 at N = 7).
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
				conformance.WithCapabilities(conformance.Capabilities{Recovery: true}))
		})
	}
}
