package epaxos

import (
	"fmt"
	"testing"

	"github.com/agora-consensus/agora/paxi/sim/conformance"
)

// TestConformance runs the simulator's scenario suite. Explicit prepare is
// not implemented yet, so scenarios that need a failed replica's in-flight
// instances recovered are skipped by the suite.
func TestConformance(t *testing.T) {
	for _, n := range []int{3, 5} {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			conformance.Run(t, "epaxos", nil,
				conformance.WithReplicas(n),
				conformance.WithCodec(codec),
				conformance.WithCapabilities(conformance.Capabilities{Recovery: false}))
		})
	}
}
