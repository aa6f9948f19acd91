package multipaxos

import (
	"fmt"
	"testing"

	"github.com/agora-consensus/agora/paxi/sim/conformance"
	"github.com/agora-consensus/agora/paxi/transport"
)

// codec passes every message and record through the wire format.
var codec = transport.RoundTrip

// TestConformance runs the simulator's scenario suite, leader failure
// included: replica 1.1 leads from the start.
func TestConformance(t *testing.T) {
	for _, n := range []int{3, 5} {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			conformance.Run(t, Name, nil,
				conformance.WithReplicas(n),
				conformance.WithCodec(codec),
				conformance.WithCapabilities(conformance.Capabilities{Recovery: true, Leader: "1.1"}))
		})
	}
}
