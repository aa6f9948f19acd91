// Package node hosts one protocol replica in a real process: one goroutine
// owns the protocol, feeds it client requests, peer messages and ticks in
// batches, and carries out each Ready in order (persist with one sync per
// batch, send, execute, reply). Front-ends (the binary client port and
// HTTP) and the transport talk to that goroutine through channels only, so
// the protocol core never needs a lock.
package node

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand"
	"sync/atomic"
	"time"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/storage"
	"github.com/agora-consensus/agora/paxi/transport"
)

// ReplyFunc answers one client command. The node calls it from its own
// goroutine, so it must not block (front-ends queue the reply and return).
type ReplyFunc func(paxi.Reply)

// submission is a burst of client commands sharing one reply path.
type submission struct {
	cmds  []paxi.Command
	reply ReplyFunc
	done  func() // if set, called once cmds have been proposed and may be reused
}

// Options configure a Node.
type Options struct {
	Config    *paxi.Config
	ID        paxi.ID
	Transport transport.Transport
	Storage   storage.Storage
	Log       *slog.Logger
	Metrics   *Metrics // nil: a fresh registry of its own
	Seed      int64    // seeds the protocol's random source; 0 derives one from the id
}

// Node is one running replica.
type Node struct {
	id       paxi.ID
	cfg      *paxi.Config
	proto    paxi.Protocol
	kv       *paxi.KV
	tr       transport.Transport
	store    storage.Storage
	log      *slog.Logger
	metrics  *Metrics
	requests chan submission
	waiting  paxi.Waiting[ReplyFunc]
	encBuf   [][]byte // reused record encodings, one per persisted record
	executed atomic.Uint64
	snap     *snapshotter // nil: no snapshots
	cu       *catchUp     // catchup.go; nil without snapshots
}

// New builds the protocol from the configuration, restoring it from what
// the storage holds. A record that cannot be decoded is an error, never a
// silent loss.
func New(o Options) (*Node, error) {
	cfg := o.Config
	factory, err := paxi.Lookup(cfg.Algorithm)
	if err != nil {
		return nil, err
	}
	log := o.Log
	if log == nil {
		log = slog.Default()
	}
	log = log.With("replica", string(o.ID))
	start := time.Now()
	kv, restored, snapSize, err := restoreSnapshot(o.Storage)
	if err != nil {
		return nil, fmt.Errorf("replica %s: %w", o.ID, err)
	}
	var tail uint64
	for i, b := range o.Storage.Records() {
		tail += uint64(len(b))
		m, err := transport.Unmarshal(b)
		if err != nil {
			return nil, fmt.Errorf("replica %s: durable record %d cannot be decoded: %w", o.ID, i, err)
		}
		restored = append(restored, m)
	}
	seed := o.Seed
	if seed == 0 {
		seed = int64(o.ID.Zone()<<8|o.ID.Node()) ^ time.Now().UnixNano()
	}
	proto, err := newProtocol(factory, cfg, o.ID, seed, log, restored)
	if err != nil {
		return nil, err
	}
	dropRecords(o.Storage)
	m := o.Metrics
	if m == nil {
		m = NewMetrics()
	}
	m.restartSeconds.Set(time.Since(start).Seconds())
	if len(restored) > 0 {
		log.Info("restored from durable log", "records", len(restored), "snapshot_keys", kv.Len(), "seconds", time.Since(start).Seconds())
	}
	n := &Node{
		id: o.ID, cfg: cfg, proto: proto, kv: kv, tr: o.Transport, store: o.Storage,
		log: log, metrics: m, requests: make(chan submission, 4096), snap: newSnapshotter(cfg, o.Storage, proto, tail, snapSize),
	}
	n.cu = newCatchUp(n, factory, seed)
	return n, nil
}

// newProtocol builds replica id's protocol from the records it restores.
func newProtocol(factory paxi.Factory, cfg *paxi.Config, id paxi.ID, seed int64, log *slog.Logger, restored []paxi.Message) (paxi.Protocol, error) {
	proto, err := factory(paxi.Env{
		ID:       id,
		Peers:    cfg.IDs(),
		Params:   cfg.Params,
		Rand:     rand.New(rand.NewSource(seed)),
		Log:      log,
		Restored: restored,
		Nearest:  nearest(cfg, id),
	})
	if err != nil {
		return nil, fmt.Errorf("replica %s: %s: %w", id, cfg.Algorithm, err)
	}
	return proto, nil
}

// Submit hands client commands to the replica. It is safe for concurrent
// use and blocks only while the replica's queue is full (back-pressure).
func (n *Node) Submit(ctx context.Context, cmds []paxi.Command, reply ReplyFunc) error {
	return n.submit(ctx, submission{cmds: cmds, reply: reply})
}

// submit is Submit with an optional done callback, which lets the client
// port decode the next batch into the array of this one once it is proposed.
func (n *Node) submit(ctx context.Context, s submission) error {
	select {
	case n.requests <- s:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ExecutedCount counts commands this replica executed (for tests and status).
func (n *Node) ExecutedCount() uint64 { return n.executed.Load() }

// Run is the replica's event loop; it returns when ctx ends or when the
// durable log fails (continuing after a failed sync could break safety).
func (n *Node) Run(ctx context.Context) error {
	ticker := time.NewTicker(n.cfg.Tick.D())
	defer ticker.Stop()
	inbox := n.tr.Inbox()
	statsEvery := int(time.Second / n.cfg.Tick.D() / 4)
	ticks := 0
	defer n.failWaiting("replica stopped")
	defer n.snap.wait()
	for {
		events := 0
		select {
		case <-ctx.Done():
			return nil
		case s := <-n.requests:
			n.propose(s)
			events++
		case e, ok := <-inbox:
			if !ok {
				return fmt.Errorf("transport closed")
			}
			n.step(e)
			events++
		case <-ticker.C:
			n.proto.Tick()
			n.cu.tick()
			ticks++
		}
		// Take whatever else is already queued, up to the batch limit, so
		// that one Ready (one sync, one flush per peer) serves the burst.
	drain:
		for events < n.cfg.MaxBatch {
			select {
			case s := <-n.requests:
				n.propose(s)
			case e, ok := <-inbox:
				if !ok {
					break drain
				}
				n.step(e)
			default:
				break drain
			}
			events++
		}
		n.metrics.batch.Observe(float64(events))
		if err := paxi.Process(n.proto.Ready(), n.kv, n); err != nil {
			n.log.Error("durable log failed; stopping the replica", "err", err)
			return err
		}
		n.maybeSnapshot()
		if err := n.cu.afterReady(); err != nil {
			n.log.Error("replica cannot go on after installing a peer's snapshot", "err", err)
			return err
		}
		if ticks >= statsEvery {
			ticks = 0
			n.sample(len(inbox))
		}
	}
}

func (n *Node) propose(s submission) {
	for _, c := range s.cmds {
		n.waiting.Add(c.Ident(), s.reply)
		n.proto.Propose(paxi.Request{Command: c})
	}
	n.metrics.proposals.Add(float64(len(s.cmds)))
	if s.done != nil {
		s.done()
	}
}

// failWaiting answers every waiting client with an error when the replica stops.
func (n *Node) failWaiting(why string) {
	n.waiting.Drain(func(k paxi.CommandKey, f ReplyFunc) {
		f(paxi.Reply{ClientID: k.ClientID, CommandID: k.CommandID, Err: why})
	})
}

// sample exports the protocol's own statistics and the queue depths.
func (n *Node) sample(inboxLen int) {
	n.metrics.queue.WithLabelValues("requests").Set(float64(len(n.requests)))
	n.metrics.queue.WithLabelValues("inbox").Set(float64(inboxLen))
	n.metrics.queue.WithLabelValues("waiting_clients").Set(float64(n.waiting.Len()))
	if b, ok := n.store.(interface{ Bytes() int64 }); ok {
		n.metrics.logBytes.Set(float64(b.Bytes()))
	}
	if r, ok := n.proto.(paxi.Reporter); ok {
		n.metrics.setProtocolStats(r.Stats())
	}
}

// nearest orders the other replicas for a protocol that asks only a quorum:
// by emulated round trip when the configuration carries one (a wide-area
// deployment on loopback, where zones say nothing about distance), else
// same zone first.
func nearest(cfg *paxi.Config, self paxi.ID) []paxi.ID {
	var dist func(paxi.ID) int64
	if len(cfg.EmulatedRTT) > 0 {
		dist = func(p paxi.ID) int64 { return int64(cfg.EmulatedDelay(self, p)) }
	}
	return paxi.NearestFirst(self, cfg.IDs(), dist)
}

// step hands the protocol a peer's message, or the transport's notice that
// the connection to a peer dropped (to a protocol that watches for it).
func (n *Node) step(e paxi.Envelope) {
	if paxi.IsSnapshotTransfer(e.Msg) {
		n.cu.step(e)
		return
	}
	if _, down := e.Msg.(*paxi.PeerDown); down {
		if w, ok := n.proto.(paxi.PeerWatcher); ok {
			w.PeerDown(e.From)
		}
		return
	}
	n.proto.Step(e.From, e.Msg)
}
