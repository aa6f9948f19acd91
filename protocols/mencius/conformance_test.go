package mencius

import (
	"fmt"
	"testing"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/sim/conformance"
	"github.com/agora-consensus/agora/paxi/transport"
)

// codec round-trips a message through the wire format, as the suite does
// with every message and record.
func codec(m paxi.Message) (paxi.Message, error) {
	b, err := transport.Marshal(nil, m)
	if err != nil {
		return nil, err
	}
	return transport.Unmarshal(b)
}

// TestConformance runs the simulator's scenario suite, with recovery: a
// failed replica's slots are revoked.
func TestConformance(t *testing.T) {
	for _, n := range []int{3, 5} {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			conformance.Run(t, Name, nil,
				conformance.WithReplicas(n),
				conformance.WithCodec(codec),
				conformance.WithCapabilities(conformance.Capabilities{Recovery: true}))
		})
	}
}
