package transport

import (
	"bytes"
	"fmt"

	"github.com/agora-consensus/agora/paxi"
)

// The first frame on every connection names the dialing replica, so the
// acceptor can stamp From on everything that follows without carrying the
// sender in every message. The magic and version let a stray client (or a
// replica built with an incompatible wire format) be refused cleanly.
var handshakeMagic = []byte("agora-transport/1 ")

// maxHandshake bounds the handshake frame: the magic and a "zone.node" id.
const maxHandshake = 64

func appendHandshake(buf []byte, self paxi.ID) []byte {
	n := len(handshakeMagic) + len(self)
	buf = append(buf, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	buf = append(buf, handshakeMagic...)
	return append(buf, self...)
}

// parseHandshake returns the replica a handshake body names.
func parseHandshake(body []byte) (paxi.ID, error) {
	rest, ok := bytes.CutPrefix(body, handshakeMagic)
	if !ok {
		return "", fmt.Errorf("bad handshake %q: want %q followed by a replica id", body, handshakeMagic)
	}
	id, err := paxi.ParseID(string(rest))
	if err != nil {
		return "", fmt.Errorf("bad handshake: %w", err)
	}
	return id, nil
}
