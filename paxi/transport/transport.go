// Package transport carries protocol messages between replicas: a msgpack
// codec keyed by the paxi message registry, a TCP transport for real
// deployments (its connections optionally authenticated by a cluster
// secret), an in-process channel transport for fast runs and tests, and a
// fault-injecting wrapper around either, controllable at run time.
package transport

import "github.com/agora-consensus/agora/paxi"

// Transport moves envelopes between replicas. The node runtime calls Send
// for every message of a Ready from one goroutine and reads Inbox from
// another (or the same) goroutine.
//
// A message handed to Send must not be modified afterwards: the channel
// transport delivers the very pointer, and the TCP transport encodes it
// later, on the peer's writer goroutine.
type Transport interface {
	// Send queues e for delivery to e.To. It never blocks on the network;
	// when the peer is unreachable or too far behind, the message is
	// dropped, and protocols are expected to retransmit.
	Send(e paxi.Envelope)
	// Inbox delivers every message received from peers. From is the
	// sending replica as the transport knows it, whatever the sender put
	// in the envelope. Inbox is closed after Close has stopped everything.
	Inbox() <-chan paxi.Envelope
	// Close stops every goroutine of the transport and releases its
	// sockets. Send after Close drops silently.
	Close() error
}

// Observer is told about the messages a transport moves, so the runtime can
// export them as metrics without this package depending on a metrics
// library. Its methods are called from the transport's goroutines,
// concurrently, once per message: they must be goroutine-safe and cheap.
type Observer interface {
	// Sent reports a message written to the connection to a peer. bytes
	// is its size on the wire, frame header included (0 when the
	// transport does not encode).
	Sent(to paxi.ID, kind string, bytes int)
	// Received reports a message decoded from a peer.
	Received(from paxi.ID, kind string, bytes int)
	// Dropped reports a message that will not be delivered, and why.
	Dropped(to paxi.ID, kind string, reason DropReason)
}

// DropReason says why a transport dropped a message. The values are short
// and stable, so an observer can use them as metric labels.
type DropReason string

const (
	// DropUnreachable: the peer could not be connected to.
	DropUnreachable DropReason = "unreachable"
	// DropQueueFull: the peer's send queue was at its bound.
	DropQueueFull DropReason = "queue_full"
	// DropUnknownPeer: the destination is not a configured peer.
	DropUnknownPeer DropReason = "unknown_peer"
	// DropClosed: the transport was closed.
	DropClosed DropReason = "closed"
	// DropEncode: the message could not be encoded (unregistered type,
	// or larger than the frame limit).
	DropEncode DropReason = "encode"
	// DropWriteError: the connection failed while the message was queued
	// or being written.
	DropWriteError DropReason = "write_error"
)

// nopObserver is used when no Observer is configured, so the hot paths call
// it unconditionally instead of testing for nil.
type nopObserver struct{}

func (nopObserver) Sent(paxi.ID, string, int)           {}
func (nopObserver) Received(paxi.ID, string, int)       {}
func (nopObserver) Dropped(paxi.ID, string, DropReason) {}
