package multipaxos

import (
	"testing"

	"github.com/agora-consensus/agora/internal/prototest"
	"github.com/agora-consensus/agora/paxi/sim/conformance"
)

// TestConformance runs the simulator's scenario suite, leader failure
// included: replica 1.1 leads from the start.
func TestConformance(t *testing.T) {
	prototest.Conformance(t, Name, conformance.Capabilities{Recovery: true, Leader: "1.1", Snapshots: true})
}
