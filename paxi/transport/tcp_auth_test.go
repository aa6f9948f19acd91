package transport

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/agora-consensus/agora/paxi"
)

var secret = []byte("correct horse battery staple")

// inboundOf is the connection b's transport reads peer from, nil if none.
func inboundOf(t *TCP, peer paxi.ID) net.Conn {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.inbound[peer]
}

// refused fails the test unless the replica closes raw.
func refused(t *testing.T, raw net.Conn, what string) {
	t.Helper()
	raw.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.Copy(io.Discard, raw); err != nil {
		t.Fatalf("%s: connection not closed: %v", what, err)
	}
}

func TestTCPForgedHandshakeDoesNotReplaceTheLiveConnection(t *testing.T) {
	checkLeaks(t)
	lns, addrs := listeners(t, a, b)
	ta := startTCP(t, a, lns[a], addrs, TCPOptions{Secret: secret})
	tb := startTCP(t, b, lns[b], addrs, TCPOptions{Secret: secret})
	ta.Send(paxi.Envelope{To: b, Msg: &Ping{Seq: 1}})
	if e := recv(t, tb, 5*time.Second); e.From != a || e.Msg.(*Ping).Seq != 1 {
		t.Fatalf("with the secret on both sides: got %+v from %s", e.Msg, e.From)
	}
	live := inboundOf(tb, a)

	// Someone without the secret claims to be a, as the handshake of a
	// replica without a cluster secret would.
	raw, err := net.Dial("tcp", addrs[b])
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	good, _ := Marshal(nil, &Ping{Seq: 666})
	raw.Write(append(appendHandshake(nil, a), frameOf(good)...))
	refused(t, raw, "hello without proof")
	noRecv(t, tb, 20*time.Millisecond)
	if inboundOf(tb, a) != live {
		t.Fatal("a forged handshake replaced a's live connection")
	}

	// Someone who answers the challenge without the secret.
	raw2, err := net.Dial("tcp", addrs[b])
	if err != nil {
		t.Fatal(err)
	}
	defer raw2.Close()
	raw2.Write(appendHandshake(nil, a, newNonce()...))
	raw2.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := parseChallenge(readFrame(t, raw2)); err != nil {
		t.Fatal(err)
	}
	raw2.Write(append(appendProof(nil, make([]byte, 32)), frameOf(good)...))
	refused(t, raw2, "wrong proof")
	noRecv(t, tb, 20*time.Millisecond)
	if inboundOf(tb, a) != live {
		t.Fatal("a handshake with a wrong proof replaced a's live connection")
	}

	ta.Send(paxi.Envelope{To: b, Msg: &Ping{Seq: 2}})
	if e := recv(t, tb, 5*time.Second); e.From != a || e.Msg.(*Ping).Seq != 2 {
		t.Fatalf("after the forged handshakes: got %+v from %s", e.Msg, e.From)
	}
}

// readFrame reads one frame body from c.
func readFrame(t *testing.T, c net.Conn) []byte {
	t.Helper()
	body, err := newFrameReader(c, maxHandshake).next()
	if err != nil {
		t.Fatalf("reading a handshake frame: %v", err)
	}
	return append([]byte(nil), body...)
}

// TestTCPHandshakeWithTheSecretIsAccepted plays the dialer by hand, as the
// documentation of the handshake describes it, to pin the wire format.
func TestTCPHandshakeWithTheSecretIsAccepted(t *testing.T) {
	checkLeaks(t)
	lns, addrs := listeners(t, a, b)
	lns[a].Close() // a is played by the raw connection below
	tb := startTCP(t, b, lns[b], addrs, TCPOptions{Secret: secret})
	raw, err := net.Dial("tcp", addrs[b])
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	nonceD := newNonce()
	raw.Write(appendHandshake(nil, a, nonceD...))
	raw.SetReadDeadline(time.Now().Add(5 * time.Second))
	nonceA, mac, err := parseChallenge(readFrame(t, raw))
	if err != nil {
		t.Fatal(err)
	}
	if string(mac) != string(handshakeMAC(secret, "accept", a, b, nonceD, nonceA)) {
		t.Fatal("b's challenge does not prove the secret")
	}
	good, _ := Marshal(nil, &Ping{Seq: 7})
	raw.Write(append(appendProof(nil, handshakeMAC(secret, "dial", a, b, nonceD, nonceA)), frameOf(good)...))
	if e := recv(t, tb, 5*time.Second); e.From != a || e.Msg.(*Ping).Seq != 7 {
		t.Fatalf("got %+v from %s", e.Msg, e.From)
	}
}

func TestTCPReplicasWithDifferentSecretsDoNotTalk(t *testing.T) {
	other := []byte("a different secret, also long")
	for name, secrets := range map[string][2][]byte{
		"different secrets":   {secret, other},
		"only the dialer":     {secret, nil},
		"only the acceptor":   {nil, secret},
		"same secret (works)": {secret, secret},
	} {
		t.Run(name, func(t *testing.T) {
			checkLeaks(t)
			lns, addrs := listeners(t, a, b)
			ta := startTCP(t, a, lns[a], addrs, TCPOptions{Secret: secrets[0]})
			tb := startTCP(t, b, lns[b], addrs, TCPOptions{Secret: secrets[1]})
			if string(secrets[0]) == string(secrets[1]) {
				ta.Send(paxi.Envelope{To: b, Msg: &Ping{Seq: 1}})
				recv(t, tb, 5*time.Second)
				return
			}
			deadline := time.Now().Add(200 * time.Millisecond)
			for time.Now().Before(deadline) {
				ta.Send(paxi.Envelope{To: b, Msg: &Ping{Seq: 1}})
				noRecv(t, tb, 10*time.Millisecond)
			}
			if inboundOf(tb, a) != nil {
				t.Fatal("b accepted a connection from a without the same secret")
			}
		})
	}
}
