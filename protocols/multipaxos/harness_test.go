package multipaxos

import (
	"testing"

	"github.com/agora-consensus/agora/internal/prototest"
	"github.com/agora-consensus/agora/paxi"
)

// net drives replicas of this package directly (see prototest.Net).
type net = prototest.Net[*Replica]

func newNet(t *testing.T, n int) *net { return prototest.NewNet(t, n, New) }

func roundTrip(t *testing.T, m paxi.Message) paxi.Message { return prototest.MustRoundTrip(t, m) }

var put = prototest.Put
