package transport

import (
	"bufio"
	"crypto/hmac"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/agora-consensus/agora/paxi"
)

// writeBufferSize is the size of each outgoing connection's write buffer.
// Frames accumulate in it and go to the kernel in one write when it fills
// or when the queue runs dry.
const writeBufferSize = 64 << 10

// peer is the outgoing side of the transport towards one replica: a queue
// that Send appends to, and one writer goroutine that owns the connection.
type peer struct {
	t    *TCP
	id   paxi.ID
	addr string
	wake chan struct{} // capacity 1; Send signals that the queue became non-empty
	back chan struct{} // capacity 1; the peer dialed in: stop backing off

	mu    sync.Mutex
	queue []paxi.Envelope // waiting for the writer, in Send order
	down  bool            // the last dial failed and the writer is backing off
}

func newPeer(t *TCP, id paxi.ID, addr string) *peer {
	return &peer{t: t, id: id, addr: addr, wake: make(chan struct{}, 1), back: make(chan struct{}, 1)}
}

// enqueue appends e to the queue unless the peer is unreachable or too far
// behind, in which case the message is dropped: blocking here would stall
// the runtime on the slowest peer.
func (p *peer) enqueue(e paxi.Envelope) {
	p.mu.Lock()
	var reason DropReason
	switch {
	case p.down:
		reason = DropUnreachable
	case len(p.queue) >= p.t.opts.QueueLen:
		reason = DropQueueFull
	default:
		p.queue = append(p.queue, e)
		first := len(p.queue) == 1
		p.mu.Unlock()
		if first {
			select {
			case p.wake <- struct{}{}:
			default:
			}
		}
		return
	}
	p.mu.Unlock()
	p.t.opts.Observer.Dropped(p.id, kindOf(e.Msg), reason)
}

// take swaps the queue for spare (emptied) and returns what was queued.
func (p *peer) take(spare []paxi.Envelope) []paxi.Envelope {
	clear(spare)
	p.mu.Lock()
	q := p.queue
	p.queue = spare[:0]
	p.mu.Unlock()
	return q
}

// setDown marks the peer unreachable (dropping everything queued) or
// reachable again.
func (p *peer) setDown(down bool) {
	p.mu.Lock()
	p.down = down
	var dropped []paxi.Envelope
	if down {
		dropped, p.queue = p.queue, nil
	}
	p.mu.Unlock()
	p.dropAll(dropped, DropUnreachable)
}

func (p *peer) dropAll(es []paxi.Envelope, reason DropReason) {
	for _, e := range es {
		p.t.opts.Observer.Dropped(p.id, kindOf(e.Msg), reason)
	}
}

// run connects to the peer, writes until the connection fails, and
// reconnects with exponential backoff, until the transport closes.
func (p *peer) run() {
	defer p.t.wg.Done()
	log := p.t.log.With("peer", string(p.id), "addr", p.addr)
	backoff := p.t.opts.MinBackoff
	wasUp := false // whether the last failure has been logged at Warn already
	for {
		c, err := p.dial()
		if err != nil {
			if p.closing() {
				return
			}
			// The first failure after a working connection is news; the
			// retries that follow, every second at most, are not.
			if wasUp {
				log.Warn("peer unreachable, dropping messages until it is back", "err", err)
				wasUp = false
			} else {
				log.Debug("dial failed", "err", err, "retry_in", backoff)
			}
			p.setDown(true)
			if !p.sleep(backoff) {
				return
			}
			backoff = min(2*backoff, p.t.opts.MaxBackoff)
			p.setDown(false)
			continue
		}
		log.Debug("connected")
		start := time.Now()
		err = p.serve(c)
		p.t.untrack(c)
		if p.closing() {
			return
		}
		// A connection that served for a while failed by accident:
		// reconnect at once. One that died young (a peer that refuses our
		// handshake, say) would make an immediate redial a busy loop, so
		// it counts as a failed attempt and backs off.
		if time.Since(start) >= p.t.opts.MaxBackoff {
			log.Warn("connection lost, reconnecting", "err", err)
			p.reportDown()
			backoff = p.t.opts.MinBackoff
			wasUp = true
			continue
		}
		log.Debug("connection lost soon after it was made", "err", err, "retry_in", backoff)
		if !p.sleep(backoff) {
			return
		}
		backoff = min(2*backoff, p.t.opts.MaxBackoff)
	}
}

// reportDown tells the replica, among the messages it receives, that a
// working connection to the peer dropped (paxi.PeerDown), so that a
// protocol can act on a crash at once instead of after its timeout.
func (p *peer) reportDown() {
	select {
	case p.t.inbox <- paxi.Envelope{From: p.id, To: p.t.self, Msg: &paxi.PeerDown{}}:
	case <-p.t.closing:
	}
}

// sleep waits for d, or until the peer dials in (it is back: a restarted
// replica would otherwise hear nothing from this one for up to
// MaxBackoff), and reports false if the transport closed meanwhile.
func (p *peer) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.t.closing:
		return false
	case <-p.back:
		return true
	case <-t.C:
		return true
	}
}

// dialedIn tells the writer that the peer connected to this replica.
func (p *peer) dialedIn() {
	select {
	case p.back <- struct{}{}:
	default:
	}
}

func (p *peer) closing() bool {
	select {
	case <-p.t.closing:
		return true
	default:
		return false
	}
}

// dial opens a connection and registers it with the transport.
func (p *peer) dial() (net.Conn, error) {
	d := net.Dialer{Timeout: p.t.opts.DialTimeout}
	c, err := d.DialContext(p.t.dialCtx, "tcp", p.addr)
	if err != nil {
		return nil, err
	}
	if !p.t.track(c) {
		return nil, net.ErrClosed
	}
	return c, nil
}

// handshake names this replica to the peer and, with a cluster secret,
// checks the peer's proof of it and proves it in turn (see handshake.go).
func (p *peer) handshake(c net.Conn, w *bufio.Writer) error {
	secret := p.t.opts.Secret
	var nonceD []byte
	if len(secret) > 0 {
		nonceD = newNonce()
	}
	w.Write(appendHandshake(nil, p.t.self, nonceD...))
	if err := w.Flush(); err != nil || len(secret) == 0 {
		return err
	}
	c.SetReadDeadline(time.Now().Add(handshakeTimeout))
	defer c.SetReadDeadline(time.Time{})
	body, err := newFrameReader(c, maxHandshake).next()
	if err != nil {
		return fmt.Errorf("no challenge from the peer (does it have the same cluster_secret?): %w", err)
	}
	nonceA, mac, err := parseChallenge(body)
	if err != nil {
		return err
	}
	if !hmac.Equal(mac, handshakeMAC(secret, "accept", p.t.self, p.id, nonceD, nonceA)) {
		err := errors.New("the peer failed to prove the cluster secret (a different cluster_secret, or not the replica configured at this address)")
		p.t.log.Error("refusing peer", "peer", string(p.id), "addr", p.addr, "err", err)
		return err
	}
	w.Write(appendProof(nil, handshakeMAC(secret, "dial", p.t.self, p.id, nonceD, nonceA)))
	return w.Flush()
}

// errPeerClosed reports that the peer closed its end of the connection.
var errPeerClosed = errors.New("peer closed the connection")

// serve writes the handshake and then everything queued to c, flushing only
// when the queue is empty, so that a burst of messages leaves in as few
// system calls and TCP segments as possible. It returns when c fails or the
// transport closes.
func (p *peer) serve(c net.Conn) error {
	w := bufio.NewWriterSize(c, writeBufferSize)
	if err := p.handshake(c, w); err != nil {
		return err
	}
	// Nothing more is read from an outgoing connection, but reading is how
	// to learn promptly that the peer went away: otherwise the first
	// messages after a peer restarts would vanish into a dead socket.
	dead := make(chan struct{})
	p.t.wg.Add(1)
	go func() {
		defer p.t.wg.Done()
		var b [1]byte
		c.Read(b[:])
		close(dead)
	}()

	var scratch []byte
	obs := p.t.opts.Observer
	// Messages may have been queued while the connection was being made;
	// make sure the first pass of the loop looks.
	select {
	case p.wake <- struct{}{}:
	default:
	}
	var batch []paxi.Envelope
	for {
		select {
		case <-p.wake:
		case <-dead:
			return errPeerClosed
		case <-p.t.closing:
			return nil
		}
		for {
			batch = p.take(batch)
			if len(batch) == 0 {
				break
			}
			for k, e := range batch {
				var err error
				scratch, err = appendFrame(scratch[:0], e.Msg, p.t.opts.MaxFrame)
				if err != nil {
					p.t.log.Error("dropping message that cannot be sent", "peer", string(p.id), "err", err)
					obs.Dropped(p.id, kindOf(e.Msg), DropEncode)
					continue
				}
				if _, err := w.Write(scratch); err != nil {
					p.dropAll(batch[k:], DropWriteError)
					return err
				}
				obs.Sent(p.id, kindOf(e.Msg), len(scratch))
			}
			if cap(scratch) > keepScratch {
				scratch = nil
			}
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
}
