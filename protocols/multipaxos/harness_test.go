package multipaxos

import (
	"testing"

	"github.com/agora-consensus/agora/internal/prototest"
)

// put and roundTrip are prototest's.
var put, roundTrip = prototest.Put, prototest.MustRoundTrip

// newNet starts n replicas of this package on a prototest.Net, which
// drives them directly.
func newNet(t *testing.T, n int) *net { return prototest.NewNet(t, n, New) }

type net = prototest.Net[*Replica]
