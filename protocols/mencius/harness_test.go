package mencius

import (
	"testing"

	"github.com/agora-consensus/agora/internal/prototest"
)

// net drives replicas of this package directly (see prototest.Net).
type net = prototest.Net[*Replica]

func newNet(t *testing.T, n int) *net { return prototest.NewNet(t, n, New) }

// put and roundTrip are prototest's.
var put, roundTrip = prototest.Put, prototest.MustRoundTrip
