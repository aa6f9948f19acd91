package conformance_test

import (
	"testing"

	"github.com/agora-consensus/agora/paxi/sim/conformance"
	"github.com/agora-consensus/agora/paxi/sim/simtest"
)

// TestConformance runs the suite against the simulator's own test
// protocol, a fixed-primary protocol without recovery.
func TestConformance(t *testing.T) {
	conformance.Run(t, simtest.Name, nil,
		conformance.WithCapabilities(conformance.Capabilities{Leader: "1.1"}))
}

func TestConformanceThreeReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("the five-replica suite covers -short")
	}
	conformance.Run(t, simtest.Name, nil,
		conformance.WithReplicas(3),
		conformance.WithCapabilities(conformance.Capabilities{Leader: "1.1"}))
}
