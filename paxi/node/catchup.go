package node

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/agora-consensus/agora/paxi"
	"github.com/prometheus/client_golang/prometheus"
)

// catchUp sends this replica's newest snapshot to peers that lack what it
// forgot, and installs a peer's (paxi.CatchUpper, docs/SNAPSHOTS.md): the
// transfer is paxi.SnapshotTransfers, the code the simulator runs, driven
// by the event loop's ticks and messages. Everything here runs on the
// event loop.
type catchUp struct {
	n       *Node
	factory paxi.Factory
	seed    int64
	xfer    *paxi.SnapshotTransfers
	newest  []byte // payload of the newest snapshot on disk (nil: none)
	pos     uint64 // the log position newest covers
	// sendTo are peers waiting for the snapshot being taken for them.
	sendTo []paxi.ID
	got    *paxi.Received // a payload received whole, installed after the Ready
	seen   paxi.TransferStats
	m      *transferMetrics
}

// snapshotChunk is the data in one chunk of a snapshot sent to a peer;
// tests make it small to send many.
var snapshotChunk = paxi.DefaultSnapshotChunk

// newCatchUp returns nil unless this replica snapshots with a protocol
// that catches up from snapshots.
func newCatchUp(n *Node, factory paxi.Factory, seed int64) *catchUp {
	if n.snap == nil {
		return nil
	}
	if _, ok := n.proto.(paxi.CatchUpper); !ok {
		return nil
	}
	c := &catchUp{n: n, factory: factory, seed: seed,
		xfer: paxi.NewSnapshotTransfers(n.id, uint64(time.Now().UnixNano())), m: newTransferMetrics(n.metrics)}
	c.xfer.Chunk = snapshotChunk
	if payload, pos, ok := n.snap.store.Snapshot(); ok {
		c.newest, c.pos = payload, pos
	}
	return c
}

// SendSnapshot implements paxi.SnapshotSender: each peer is sent the
// newest snapshot if it holds this replica's state as it is now, else one
// taken for it at once. An older one may lack what the peer needs: with
// EPaxos a replica may execute, report committed and forget instances
// that a peer's older snapshot lacks, and installing one that takes back
// what it reported could leave it stuck (docs/SNAPSHOTS.md, "EPaxos
// catches up from a snapshot"). A peer is asked for only when a transfer
// to it could start, so at most one snapshot is taken per transfer.
func (n *Node) SendSnapshot(to []paxi.ID) {
	c := n.cu
	if c == nil {
		return
	}
	for _, p := range to {
		if !c.xfer.CanSend(p) {
			continue
		}
		if c.newest == nil || c.pos != n.snap.store.Position() {
			if !slices.Contains(c.sendTo, p) {
				c.sendTo = append(c.sendTo, p)
			}
			n.snap.force = true
			continue
		}
		c.send(p, c.newest)
	}
}

func (c *catchUp) send(p paxi.ID, payload []byte) {
	if c.xfer.Send(p, payload) != 0 {
		c.n.log.Info("sending a snapshot to a peer that lacks what this replica forgot", "peer", p, "bytes", len(payload))
	}
}

// saved notes that a snapshot of this replica's own, payload at log
// position pos, is durable: the one peers catch up from from now on, and
// the one the peers waiting for a snapshot are sent.
func (c *catchUp) saved(payload []byte, pos uint64) {
	if c == nil {
		return
	}
	c.newest, c.pos = payload, pos
	c.n.proto.(paxi.CatchUpper).SnapshotSaved()
	to := c.sendTo
	c.sendTo = nil
	for _, p := range to {
		c.send(p, payload)
	}
}

func (c *catchUp) tick() {
	if c != nil {
		c.xfer.Tick()
	}
}

// step takes a chunk or an ack; a payload received whole is installed
// once the Ready under way is carried out.
func (c *catchUp) step(e paxi.Envelope) {
	if c == nil {
		return
	}
	if got := c.xfer.Step(e.From, e.Msg); got != nil {
		c.got = got
	}
}

// afterReady sends what the transfers produced, updates the metrics and
// installs a payload received. An error means the replica must stop: a
// snapshot was saved that its protocol cannot be built from.
func (c *catchUp) afterReady() error {
	if c == nil {
		return nil
	}
	var err error
	if got := c.got; got != nil {
		c.got = nil
		err = c.install(got)
	}
	if msgs := c.xfer.Take(); len(msgs) > 0 {
		c.n.Send(msgs)
	}
	st := c.xfer.Stats
	c.m.sent.Add(float64(st.Sent - c.seen.Sent))
	c.m.received.Add(float64(st.Received - c.seen.Received))
	c.m.bytesSent.Add(float64(st.BytesSent - c.seen.BytesSent))
	c.m.bytesReceived.Add(float64(st.BytesReceived - c.seen.BytesReceived))
	c.m.failed.Add(float64(st.Refused + st.Abandoned + st.BadChunks - c.seen.Refused - c.seen.Abandoned - c.seen.BadChunks))
	c.seen = st
	return err
}

// install makes a peer's snapshot this replica's, as a restart from it
// would: if it is ahead of what this replica executed, it is saved with
// this replica's own checkpoint records after the peer's (its promises and
// votes stay binding) as the newest snapshot of its log, and the protocol
// and the state machine are built again from it. A crash at any point
// leaves either the old snapshot and log or the new snapshot.
func (c *catchUp) install(got *paxi.Received) error {
	n := c.n
	cu := n.proto.(paxi.CatchUpper)
	kv, recs, err := decodeSnapshot(got.Payload)
	if err != nil {
		n.log.Warn("a peer's snapshot cannot be decoded; not installed", "peer", got.From, "err", err)
		c.m.refused.Inc()
		return nil
	}
	if !cu.Behind(recs) {
		n.log.Info("a peer's snapshot is not ahead of this replica; not installed", "peer", got.From)
		c.m.refused.Inc()
		return nil
	}
	start := time.Now()
	// One snapshot at a time: the one being written, if any, first.
	n.snap.wait()
	n.maybeSnapshotDone()
	recs = append(recs, cu.Checkpoint()...)
	payload, err := encodeSnapshot(kv, recs)
	if err != nil {
		n.log.Warn("a peer's snapshot cannot be saved; not installed", "peer", got.From, "err", err)
		c.m.refused.Inc()
		return nil
	}
	n.snap.roll(n.log)
	pos := n.snap.store.Position()
	if err := n.snap.store.SaveSnapshot(pos, payload); err != nil {
		n.log.Warn("a peer's snapshot cannot be saved; not installed", "peer", got.From, "err", err)
		c.m.refused.Inc()
		return nil
	}
	proto, err := newProtocol(c.factory, n.cfg, n.id, c.seed, n.log, recs)
	if err != nil {
		return fmt.Errorf("after installing the snapshot of %s: %w", got.From, err)
	}
	cp, ok := proto.(paxi.Checkpointer)
	if !ok {
		return errors.New("the protocol rebuilt from a snapshot takes no snapshots")
	}
	n.proto, n.kv = proto, kv
	n.snap.proto, n.snap.last = cp, n.executed.Load()
	n.snap.logged, n.snap.size, n.snap.at = 0, uint64(len(payload)), time.Now()
	c.newest, c.pos = payload, pos
	// Its clients' commands were in the protocol replaced; whatever of
	// them executed is in the state machine's at-most-once table, so a
	// retry is safe.
	n.failWaiting("replica caught up from a peer's snapshot; retry")
	c.m.installs.Inc()
	n.log.Info("installed a peer's snapshot", "peer", got.From, "bytes", len(got.Payload), "keys", kv.Len(), "seconds", time.Since(start).Seconds())
	return nil
}

// transferMetrics count the snapshot transfers.
type transferMetrics struct {
	sent, received, bytesSent, bytesReceived, failed, installs, refused prometheus.Counter
}

func newTransferMetrics(m *Metrics) *transferMetrics {
	c := func(name, help string) prometheus.Counter {
		k := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
		if err := m.Registry.Register(k); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				return are.ExistingCollector.(prometheus.Counter)
			}
			panic(err)
		}
		return k
	}
	return &transferMetrics{
		sent:          c("agora_snapshot_transfers_sent_total", "Snapshots sent whole to a peer that lacked what this replica forgot."),
		received:      c("agora_snapshot_transfers_received_total", "Snapshots received whole from a peer."),
		bytesSent:     c("agora_snapshot_transfer_bytes_sent_total", "Snapshot bytes sent in chunks to peers."),
		bytesReceived: c("agora_snapshot_transfer_bytes_received_total", "Snapshot bytes received in chunks from peers."),
		failed:        c("agora_snapshot_transfer_failures_total", "Snapshot transfers refused or given up, and chunks refused."),
		installs:      c("agora_snapshot_installs_total", "Peers' snapshots installed: this replica caught up from a snapshot."),
		refused:       c("agora_snapshot_installs_refused_total", "Peers' snapshots received but not installed (not ahead, undecodable, or not saved)."),
	}
}
