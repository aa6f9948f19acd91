package transport

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/agora-consensus/agora/paxi"
)

// TCPOptions configures a TCP transport. The zero value is usable.
type TCPOptions struct {
	// MaxFrame bounds the body of one frame in bytes, on both sides: a
	// larger outgoing message is dropped, a larger incoming frame closes
	// its connection. Zero means DefaultMaxFrame.
	MaxFrame int
	// Logger receives connection events and errors; nil means slog.Default().
	Logger *slog.Logger
	// Observer is told about every message sent, received and dropped;
	// nil means nobody is.
	Observer Observer
	// Listener, if set, is served instead of listening on the listen
	// address; tests use it to learn every address before any transport
	// starts. Close closes it.
	Listener net.Listener
	// QueueLen bounds the messages waiting to be written to one peer;
	// Send drops beyond it. Zero means 65536.
	QueueLen int
	// InboxLen is the capacity of the Inbox channel. When it is full,
	// readers stop reading and TCP flow control pushes back on the
	// senders. Zero means 16384.
	InboxLen int
	// MinBackoff and MaxBackoff bound the exponential delay between
	// attempts to reconnect to a peer. Zero means 10ms and 1s.
	MinBackoff, MaxBackoff time.Duration
	// DialTimeout bounds one connection attempt. Zero means 1s.
	DialTimeout time.Duration
	// Secret, if set, is the cluster secret: every connection proves both
	// ends hold it (see handshake.go) before a message crosses, so that
	// nobody else can pose as a peer. Every replica needs the same one;
	// empty means none.
	Secret []byte
}

func (o *TCPOptions) setDefaults() {
	if o.MaxFrame <= 0 {
		o.MaxFrame = DefaultMaxFrame
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Observer == nil {
		o.Observer = nopObserver{}
	}
	if o.QueueLen <= 0 {
		o.QueueLen = 1 << 16
	}
	if o.InboxLen <= 0 {
		o.InboxLen = 1 << 14
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 10 * time.Millisecond
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(time.Second, o.MinBackoff)
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = time.Second
	}
}

// handshakeTimeout bounds how long an accepted connection may take to name
// its sender, so a silent stray connection does not hold a goroutine.
const handshakeTimeout = 10 * time.Second

// TCP is the transport between replica processes. Each replica dials one
// connection to every peer and writes only on it, and reads only from the
// connections its peers dialed; so between two replicas there are two
// connections, one per direction, and each preserves FIFO order.
type TCP struct {
	self    paxi.ID
	opts    TCPOptions
	log     *slog.Logger
	ln      net.Listener
	peers   map[paxi.ID]*peer // outgoing side, one per peer; fixed at construction
	inbox   chan paxi.Envelope
	closing chan struct{}      // closed by Close to stop every goroutine
	dialCtx context.Context    // cancelled by Close to abort dials in progress
	cancel  context.CancelFunc // cancels dialCtx
	wg      sync.WaitGroup     // every goroutine the transport started
	stopped atomic.Bool        // set by Close; Send drops from then on

	mu       sync.Mutex            // guards the fields below
	closed   bool                  // Close has begun; no new connections are tracked
	conns    map[net.Conn]struct{} // every open connection, closed by Close
	inbound  map[paxi.ID]net.Conn  // the newest accepted connection of each peer
	closeErr error                 // what closing the listener returned
}

// NewTCP starts a transport for replica self that listens on listen (or on
// opts.Listener) and sends to peers, a map from replica id to "host:port".
// An entry for self, if present, is ignored.
func NewTCP(self paxi.ID, listen string, peers map[paxi.ID]string, opts TCPOptions) (*TCP, error) {
	opts.setDefaults()
	ln := opts.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", listen); err != nil {
			return nil, fmt.Errorf("transport: %s listen: %w", self, err)
		}
	}
	t := &TCP{
		self:    self,
		opts:    opts,
		log:     opts.Logger.With("replica", string(self)),
		ln:      ln,
		peers:   map[paxi.ID]*peer{},
		inbox:   make(chan paxi.Envelope, opts.InboxLen),
		closing: make(chan struct{}),
		conns:   map[net.Conn]struct{}{},
		inbound: map[paxi.ID]net.Conn{},
	}
	t.dialCtx, t.cancel = context.WithCancel(context.Background())
	for id, addr := range peers {
		if id == self {
			continue
		}
		t.peers[id] = newPeer(t, id, addr)
	}
	t.wg.Add(1 + len(t.peers))
	go t.acceptLoop()
	for _, p := range t.peers {
		go p.run()
	}
	return t, nil
}

// Addr is the address the transport listens on.
func (t *TCP) Addr() net.Addr { return t.ln.Addr() }

// Inbox implements Transport.
func (t *TCP) Inbox() <-chan paxi.Envelope { return t.inbox }

// Send implements Transport. It only appends to the peer's queue; the
// peer's writer goroutine encodes and writes.
func (t *TCP) Send(e paxi.Envelope) {
	if t.stopped.Load() {
		t.opts.Observer.Dropped(e.To, kindOf(e.Msg), DropClosed)
		return
	}
	p := t.peers[e.To]
	if p == nil {
		t.opts.Observer.Dropped(e.To, kindOf(e.Msg), DropUnknownPeer)
		t.log.Debug("dropping message to unknown peer", "to", string(e.To), "kind", kindOf(e.Msg))
		return
	}
	p.enqueue(e)
}

// Close implements Transport. It waits for every goroutine to stop.
func (t *TCP) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	t.stopped.Store(true)
	close(t.closing)
	t.cancel()
	err := t.ln.Close()
	for c := range t.conns {
		c.Close()
	}
	t.mu.Unlock()
	t.wg.Wait()
	close(t.inbox)
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// track registers a new connection so Close can close it, and reports false
// (after closing c) when the transport is already closing.
func (t *TCP) track(c net.Conn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		c.Close()
		return false
	}
	t.conns[c] = struct{}{}
	return true
}

// untrack closes c and forgets it.
func (t *TCP) untrack(c net.Conn) {
	c.Close()
	t.mu.Lock()
	delete(t.conns, c)
	t.mu.Unlock()
}
