package transport

import (
	"fmt"
	"sync"

	"github.com/agora-consensus/agora/paxi"
)

// channelQueueLimit bounds the messages waiting for one in-process endpoint
// whose owner has stopped reading; beyond it messages are dropped, as TCP
// would once its queues filled.
const channelQueueLimit = 1 << 20

// Network is an in-process network: a set of endpoints, one per replica,
// that pass messages by pointer without encoding them. Each endpoint has one
// unbounded-in-practice FIFO queue, so messages from one sender arrive in
// the order they were sent, and Send never blocks.
type Network struct {
	roundTrip bool     // encode and decode every message (see CodecRoundTrip)
	obs       Observer // told about every message

	mu  sync.RWMutex
	eps map[paxi.ID]*endpoint // the open endpoint of each replica
}

// NetworkOption configures a Network.
type NetworkOption func(*Network)

// CodecRoundTrip makes the network encode and decode every message, as TCP
// would. It is slower, but it catches unregistered message types and
// messages that do not survive encoding (unexported fields, say) in fast
// in-process tests, and it lets the observer count bytes. A message that
// cannot be encoded is a bug in the protocol, so Send panics with it.
func CodecRoundTrip() NetworkOption { return func(n *Network) { n.roundTrip = true } }

// NetworkObserver makes the network report every message to o. Bytes are
// counted only with CodecRoundTrip; otherwise they are reported as 0.
func NetworkObserver(o Observer) NetworkOption { return func(n *Network) { n.obs = o } }

// NewNetwork returns an empty in-process network.
func NewNetwork(opts ...NetworkOption) *Network {
	n := &Network{obs: nopObserver{}, eps: map[paxi.ID]*endpoint{}}
	for _, o := range opts {
		o(n)
	}
	return n
}

// Endpoint returns replica id's transport on this network, creating it if
// id has none open. After the endpoint is closed, Endpoint(id) creates a
// fresh one, which is how a test restarts a replica.
func (n *Network) Endpoint(id paxi.ID) Transport {
	n.mu.Lock()
	defer n.mu.Unlock()
	if ep := n.eps[id]; ep != nil {
		return ep
	}
	ep := &endpoint{
		net:   n,
		id:    id,
		inbox: make(chan paxi.Envelope, 1024),
		wake:  make(chan struct{}, 1),
		done:  make(chan struct{}),
	}
	n.eps[id] = ep
	ep.wg.Add(1)
	go ep.pump()
	return ep
}

// endpoint is one replica's attachment to a Network.
type endpoint struct {
	net   *Network
	id    paxi.ID
	inbox chan paxi.Envelope // what the owner reads
	wake  chan struct{}      // capacity 1; signals that queue became non-empty
	done  chan struct{}      // closed by Close
	wg    sync.WaitGroup     // the pump goroutine

	mu     sync.Mutex
	queue  []queued // delivered to this endpoint, not yet in inbox
	closed bool     // Close has begun
}

// queued is an envelope waiting for its endpoint's owner.
type queued struct {
	e     paxi.Envelope
	bytes int // its encoded size, with CodecRoundTrip
}

// Send implements Transport. From is set to this endpoint, as TCP would
// set it from the connection's handshake.
func (ep *endpoint) Send(e paxi.Envelope) {
	n := ep.net
	kind := kindOf(e.Msg)
	n.mu.RLock()
	dst := n.eps[e.To]
	n.mu.RUnlock()
	if dst == nil {
		n.obs.Dropped(e.To, kind, DropUnreachable)
		return
	}
	e.From = ep.id
	bytes := 0
	if n.roundTrip {
		body, err := Marshal(nil, e.Msg)
		if err != nil {
			panic(fmt.Sprintf("transport: %s sends %s to %s, which cannot be encoded: %v", ep.id, kind, e.To, err))
		}
		if e.Msg, err = Unmarshal(body); err != nil {
			panic(fmt.Sprintf("transport: %s sends %s to %s, which does not decode: %v", ep.id, kind, e.To, err))
		}
		bytes = frameHeader + len(body)
	}
	if reason := dst.deliver(queued{e, bytes}); reason != "" {
		n.obs.Dropped(e.To, kind, reason)
		return
	}
	n.obs.Sent(e.To, kind, bytes)
}

// deliver queues e for the owner, or says why it cannot.
func (ep *endpoint) deliver(q queued) DropReason {
	ep.mu.Lock()
	switch {
	case ep.closed:
		ep.mu.Unlock()
		return DropUnreachable
	case len(ep.queue) >= channelQueueLimit:
		ep.mu.Unlock()
		return DropQueueFull
	}
	ep.queue = append(ep.queue, q)
	first := len(ep.queue) == 1
	ep.mu.Unlock()
	if first {
		select {
		case ep.wake <- struct{}{}:
		default:
		}
	}
	return ""
}

// pump moves queued envelopes into the inbox channel until Close.
func (ep *endpoint) pump() {
	defer ep.wg.Done()
	var batch []queued
	for {
		select {
		case <-ep.wake:
		case <-ep.done:
			return
		}
		for {
			clear(batch)
			ep.mu.Lock()
			batch, ep.queue = ep.queue, batch[:0]
			ep.mu.Unlock()
			if len(batch) == 0 {
				break
			}
			for _, q := range batch {
				select {
				case ep.inbox <- q.e:
				case <-ep.done:
					return
				}
				ep.net.obs.Received(q.e.From, kindOf(q.e.Msg), q.bytes)
			}
		}
	}
}

// Inbox implements Transport.
func (ep *endpoint) Inbox() <-chan paxi.Envelope { return ep.inbox }

// Close implements Transport: the endpoint leaves the network, messages
// queued for it are dropped, and its inbox is closed.
func (ep *endpoint) Close() error {
	ep.mu.Lock()
	if ep.closed {
		ep.mu.Unlock()
		return nil
	}
	ep.closed = true
	ep.queue = nil
	ep.mu.Unlock()
	ep.net.mu.Lock()
	if ep.net.eps[ep.id] == ep {
		delete(ep.net.eps, ep.id)
	}
	ep.net.mu.Unlock()
	close(ep.done)
	ep.wg.Wait()
	close(ep.inbox)
	return nil
}
