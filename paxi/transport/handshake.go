package transport

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/agora-consensus/agora/paxi"
)

// The first frame on every connection names the dialing replica, so the
// acceptor can stamp From on everything that follows without carrying the
// sender in every message. The magic and version let a stray client (or a
// replica built with an incompatible wire format) be refused cleanly.
var handshakeMagic = []byte("agora-transport/1 ")

// maxHandshake bounds each handshake frame: the magic, a "zone.node" id
// and a hex nonce, or a challenge or proof.
const maxHandshake = 128

// With a cluster secret, a connection is authenticated both ways before any
// message crosses it:
//
//	dialer:   hello     "agora-transport/1 " id " " hex(nonceD)
//	acceptor: challenge "agora-challenge/1 " nonceA HMAC(secret, "accept", ids, nonces)
//	dialer:   proof     "agora-proof/1 " HMAC(secret, "dial", ids, nonces)
//
// Each side's MAC covers a nonce the other side just drew, so a recorded
// handshake cannot be replayed, and the two MACs carry different labels, so
// one cannot be reflected back as the other. Without a secret the hello is
// the id alone and nothing else is exchanged; a replica with a secret
// refuses such a hello, and one without refuses a hello carrying a nonce,
// so a cluster with mismatched configurations fails loudly.
var (
	challengeMagic = []byte("agora-challenge/1 ")
	proofMagic     = []byte("agora-proof/1 ")
)

const nonceLen = 16

// errNoProof is how an acceptor with a secret refuses a hello without one.
var errNoProof = errors.New("did not authenticate (no cluster_secret, while this replica has one)")

// appendHandshake appends the hello of replica self; nonce is nil without
// a cluster secret.
func appendHandshake(buf []byte, self paxi.ID, nonce ...byte) []byte {
	body := append(append([]byte{}, handshakeMagic...), self...)
	if nonce != nil {
		body = append(append(body, ' '), hex.EncodeToString(nonce)...)
	}
	return append(appendLen(buf, len(body)), body...)
}

func appendLen(buf []byte, n int) []byte {
	return append(buf, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// parseHandshake returns the replica a hello names and its nonce, nil when
// it carries none.
func parseHandshake(body []byte) (paxi.ID, []byte, error) {
	rest, ok := bytes.CutPrefix(body, handshakeMagic)
	if !ok {
		return "", nil, fmt.Errorf("bad handshake %q: want %q followed by a replica id", body, handshakeMagic)
	}
	idPart, noncePart, hasNonce := bytes.Cut(rest, []byte(" "))
	id, err := paxi.ParseID(string(idPart))
	if err != nil {
		return "", nil, fmt.Errorf("bad handshake: %w", err)
	}
	if !hasNonce {
		return id, nil, nil
	}
	nonce, err := hex.DecodeString(string(noncePart))
	if err != nil || len(nonce) != nonceLen {
		return "", nil, fmt.Errorf("bad handshake from %s: nonce %q is not %d hex-encoded bytes", id, noncePart, nonceLen)
	}
	return id, nonce, nil
}

// newNonce draws a fresh nonce.
func newNonce() []byte {
	n := make([]byte, nonceLen)
	if _, err := rand.Read(n); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return n
}

// handshakeMAC is what one side of a connection between dialer and acceptor
// proves; label says which side, so the two MACs differ.
func handshakeMAC(secret []byte, label string, dialer, acceptor paxi.ID, nonceD, nonceA []byte) []byte {
	m := hmac.New(sha256.New, secret)
	for _, part := range [][]byte{[]byte(label), []byte(dialer), []byte(acceptor), nonceD, nonceA} {
		m.Write(appendLen(nil, len(part))) // lengths keep the parts apart
		m.Write(part)
	}
	return m.Sum(nil)
}

// appendChallenge appends the acceptor's challenge frame.
func appendChallenge(buf []byte, nonceA, mac []byte) []byte {
	buf = appendLen(buf, len(challengeMagic)+len(nonceA)+len(mac))
	return append(append(append(buf, challengeMagic...), nonceA...), mac...)
}

// parseChallenge splits a challenge body into the acceptor's nonce and MAC.
func parseChallenge(body []byte) (nonceA, mac []byte, err error) {
	rest, ok := bytes.CutPrefix(body, challengeMagic)
	if !ok || len(rest) != nonceLen+sha256.Size {
		return nil, nil, fmt.Errorf("bad challenge (%d bytes): is the peer a replica with a cluster_secret?", len(body))
	}
	return rest[:nonceLen], rest[nonceLen:], nil
}

// appendProof appends the dialer's proof frame.
func appendProof(buf []byte, mac []byte) []byte {
	buf = appendLen(buf, len(proofMagic)+len(mac))
	return append(append(buf, proofMagic...), mac...)
}

// checkProof reports whether a proof body carries the expected MAC.
func checkProof(body, want []byte) bool {
	mac, ok := bytes.CutPrefix(body, proofMagic)
	return ok && hmac.Equal(mac, want)
}
