package mencius

import (
	"testing"

	"github.com/agora-consensus/agora/internal/prototest"
	"github.com/agora-consensus/agora/paxi/sim/conformance"
)

// TestConformance runs the simulator's scenario suite, with recovery: a
// failed replica's slots are revoked.
func TestConformance(t *testing.T) {
	prototest.Conformance(t, Name, conformance.Capabilities{Recovery: true, Snapshots: true})
}
