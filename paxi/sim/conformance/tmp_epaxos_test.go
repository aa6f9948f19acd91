package conformance_test

import (
	"testing"

	"github.com/agora-consensus/agora/paxi"
	_ "github.com/agora-consensus/agora/protocols/epaxos"
	"github.com/agora-consensus/agora/paxi/sim/conformance"
	"github.com/agora-consensus/agora/paxi/transport"
)

func codec(m paxi.Message) (paxi.Message, error) {
	b, err := transport.Marshal(nil, m)
	if err != nil {
		return nil, err
	}
	return transport.Unmarshal(b)
}

func TestTmpEPaxos(t *testing.T) {
	conformance.Run(t, "epaxos", nil, conformance.WithCodec(codec))
}
