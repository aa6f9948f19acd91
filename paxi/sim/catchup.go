package sim

import (
	"slices"
	"time"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/transport"
)

// Catch-up from a snapshot, as the node runtime does it (paxi.CatchUpper,
// docs/SNAPSHOTS.md): a protocol asks in a Ready that a peer be sent the
// newest snapshot (Ready.SendSnapshot), the replica sends it in chunks
// over the simulated network with paxi.SnapshotTransfers (the node's code),
// and the peer, once it holds the whole payload, installs it as its own
// event, between two Readys: if the snapshot is ahead of what it executed
// (CatchUpper.Behind) it saves it, with its own checkpoint records after
// the peer's, as its newest snapshot and restarts from it. The restart is
// a new incarnation, whose execution log starts with what the sender's
// snapshot had executed.

// newTransfers gives a (re)started replica its transfers, when snapshots
// are on. A crash loses transfers under way, as a process would.
func (r *replica) newTransfers() {
	c := r.s.cfg.Snapshots
	if c == nil {
		r.xfer = nil
		return
	}
	r.snaps.sendTo = nil // a crash loses the snapshot being taken for a peer
	// Ids differ per incarnation without drawing on the run's random source.
	r.xfer = paxi.NewSnapshotTransfers(r.id, uint64(r.epoch+1)<<32)
	if c.ChunkBytes > 0 {
		r.xfer.Chunk = c.ChunkBytes
	}
}

// SendSnapshot implements paxi.SnapshotSender: each peer listed is sent
// the newest snapshot if it holds this replica's state as it is now, else
// a snapshot taken for it, as the node does (paxi/node/catchup.go).
func (r *replica) SendSnapshot(to []paxi.ID) {
	if r.xfer == nil || len(to) == 0 {
		return
	}
	snap := r.snaps.last
	if snap == nil || snap.pos != r.durable.dropped+r.durable.n {
		for _, p := range to {
			if r.xfer.CanSend(p) && !slices.Contains(r.snaps.sendTo, p) {
				r.snaps.sendTo = append(r.snaps.sendTo, p)
			}
		}
		if len(r.snaps.sendTo) > 0 {
			r.snapshotNow()
		}
		return
	}
	if snap.payload == nil {
		b, err := paxi.EncodeSnapshotPayload(snap.kv, snap.recs, transport.Marshal)
		if err != nil {
			r.s.failf("replica %s: encode snapshot for a peer: %v", r.id, err)
			return
		}
		snap.payload = b
	}
	for _, p := range to {
		if id := r.xfer.Send(p, snap.payload); id != 0 {
			if r.snaps.sent == nil {
				r.snaps.sent = map[uint64]*snapshot{}
			}
			r.snaps.sent[id] = snap
			r.s.note("send snapshot of %s to %s (%d bytes)", r.id, p, len(snap.payload))
		}
	}
}

// flushTransfers sends what the transfers produced.
func (r *replica) flushTransfers() {
	if r.xfer == nil {
		return
	}
	if msgs := r.xfer.Take(); len(msgs) > 0 {
		r.Send(msgs)
	}
}

// stepTransfer takes a chunk or an ack; a payload completed is installed
// as its own event.
func (r *replica) stepTransfer(from paxi.ID, m paxi.Message) {
	if r.xfer == nil {
		return
	}
	got := r.xfer.Step(from, m)
	if got == nil {
		return
	}
	epoch := r.epoch
	r.s.At(r.s.now, func() {
		if r.up && r.epoch == epoch {
			r.install(got)
		}
	})
}

// install saves a peer's snapshot as this replica's newest and restarts
// from it, if it is ahead of what this replica executed.
func (r *replica) install(got *paxi.Received) {
	s := r.s
	cu, ok := r.proto.(paxi.CatchUpper)
	if !ok {
		return
	}
	kv, recs, err := paxi.DecodeSnapshotPayload(got.Payload, transport.Unmarshal)
	if err != nil {
		s.failf("replica %s: snapshot from %s: %v", r.id, got.From, err)
		return
	}
	if !cu.Behind(recs) {
		s.note("snapshot from %s refused by %s: not ahead of it", got.From, r.id)
		return
	}
	src := s.replicas[s.index(got.From)].snaps.sent[got.Xfer]
	if src == nil {
		s.failf("replica %s: snapshot from %s of an unknown transfer %d", r.id, got.From, got.Xfer)
		return
	}
	delete(s.replicas[s.index(got.From)].snaps.sent, got.Xfer)
	// Its own promises and votes stay binding: its checkpoint follows the
	// peer's (paxi.CatchUpper).
	for _, m := range cu.Checkpoint() {
		if s.cfg.Codec != nil {
			if m, err = s.cfg.Codec(m); err != nil {
				s.failf("replica %s: codec round trip of checkpoint record: %v", r.id, err)
				return
			}
		}
		recs = append(recs, m)
	}
	snap := &snapshot{pos: r.durable.dropped + r.durable.n, kv: kv, recs: recs,
		cmds: src.cmds, count: src.count, sum: src.sum}
	r.snaps.prev, r.snaps.last = r.snaps.last, snap
	if r.snaps.prev != nil {
		r.durable.dropTo(r.snaps.prev.pos)
	}
	r.installs++
	s.note("install snapshot of %s at %s (%d bytes)", got.From, r.id, len(got.Payload))
	s.down(r)
	if err := s.start(r); err != nil {
		s.failf("replica %s: restart from a peer's snapshot: %v", r.id, err)
		return
	}
	if s.loadOn && r.clientsOn {
		s.startClients(r)
	}
}

// SnapshotInstalls counts the snapshots replica id installed from a peer.
func (s *Sim) SnapshotInstalls(id paxi.ID) int {
	if r := s.replica(id); r != nil {
		return r.installs
	}
	return 0
}

// AnsweredAt is Answered for the clients attached to replica id alone.
func (s *Sim) AnsweredAt(id paxi.ID, from, to time.Duration) int {
	at := s.index(id)
	n := 0
	for i, o := range s.hist {
		if s.histHome[i] == at && o.Return >= int64(from) && o.Return < int64(to) {
			n++
		}
	}
	return n
}
