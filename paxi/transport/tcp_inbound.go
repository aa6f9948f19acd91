package transport

import (
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/agora-consensus/agora/internal/netutil"
	"github.com/agora-consensus/agora/paxi"
)

// acceptLoop accepts the connections peers dial to this replica, one reader
// goroutine each, until the listener is closed.
func (t *TCP) acceptLoop() {
	defer t.wg.Done()
	netutil.Serve(t.ln, t.closing, t.log, func(c net.Conn) bool {
		if !t.track(c) {
			return false
		}
		t.wg.Add(1)
		go t.readLoop(c)
		return true
	})
}

// readLoop reads the handshake and then frames from one accepted
// connection into the inbox. Any bad frame closes this connection only: the
// peer's writer notices, reconnects, and the protocol retransmits whatever
// was lost.
func (t *TCP) readLoop(c net.Conn) {
	defer t.wg.Done()
	defer t.untrack(c)
	remote := c.RemoteAddr().String()
	c.SetReadDeadline(time.Now().Add(handshakeTimeout))
	fr := newFrameReader(c, maxHandshake)
	body, err := fr.next()
	if err != nil {
		t.log.Warn("closing connection without a handshake", "remote", remote, "err", err)
		return
	}
	from, nonceD, err := parseHandshake(body)
	if err == nil && t.peers[from] == nil {
		err = errors.New("not a configured peer: " + string(from))
	}
	if err == nil {
		err = t.authenticate(c, fr, from, nonceD)
	}
	if err != nil {
		t.log.Warn("refusing connection", "remote", remote, "err", err)
		return
	}
	c.SetReadDeadline(time.Time{})
	fr.max = t.opts.MaxFrame
	t.replaceInbound(from, c)
	defer t.forgetInbound(from, c)
	if p := t.peers[from]; p != nil {
		p.dialedIn()
	}
	t.log.Debug("accepted connection", "from", string(from), "remote", remote)

	obs := t.opts.Observer
	for {
		body, err := fr.next()
		if err != nil {
			select {
			case <-t.closing:
			default:
				if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
					t.log.Debug("connection closed by peer", "from", string(from))
				} else {
					t.log.Error("closing connection after a bad frame", "from", string(from), "remote", remote, "err", err)
				}
			}
			return
		}
		m, err := Unmarshal(body)
		if err != nil {
			t.log.Error("closing connection after an undecodable frame", "from", string(from), "remote", remote, "err", err)
			return
		}
		obs.Received(from, kindOf(m), frameHeader+len(body))
		select {
		case t.inbox <- paxi.Envelope{From: from, To: t.self, Msg: m}:
		case <-t.closing:
			return
		}
	}
}

// authenticate runs the acceptor's side of the handshake with a cluster
// secret: challenge the dialer claiming to be from, check its proof. It
// runs before replaceInbound, so a connection that fails it never displaces
// the peer's live one.
func (t *TCP) authenticate(c net.Conn, fr *frameReader, from paxi.ID, nonceD []byte) error {
	secret := t.opts.Secret
	switch {
	case len(secret) == 0 && nonceD == nil:
		return nil
	case len(secret) == 0:
		return fmt.Errorf("%s authenticates with a cluster_secret, but this replica has none", from)
	case nonceD == nil:
		return fmt.Errorf("%s %w", from, errNoProof)
	}
	nonceA := newNonce()
	c.SetWriteDeadline(time.Now().Add(handshakeTimeout))
	_, err := c.Write(appendChallenge(nil, nonceA, handshakeMAC(secret, "accept", from, t.self, nonceD, nonceA)))
	c.SetWriteDeadline(time.Time{})
	if err != nil {
		return fmt.Errorf("%s: sending the challenge: %w", from, err)
	}
	body, err := fr.next()
	if err != nil {
		return fmt.Errorf("%s: no proof of the cluster secret: %w", from, err)
	}
	if !checkProof(body, handshakeMAC(secret, "dial", from, t.self, nonceD, nonceA)) {
		return fmt.Errorf("%s: wrong proof of the cluster secret (a different cluster_secret?)", from)
	}
	return nil
}

// replaceInbound records c as peer from's connection and closes the one it
// replaces: a peer has one outgoing connection at a time, so an older one
// is a leftover from before it reconnected, possibly half-dead.
func (t *TCP) replaceInbound(from paxi.ID, c net.Conn) {
	t.mu.Lock()
	old := t.inbound[from]
	t.inbound[from] = c
	t.mu.Unlock()
	if old != nil {
		old.Close()
	}
}

// forgetInbound drops c from the newest-connection table if it is still there.
func (t *TCP) forgetInbound(from paxi.ID, c net.Conn) {
	t.mu.Lock()
	if t.inbound[from] == c {
		delete(t.inbound, from)
	}
	t.mu.Unlock()
}
