package sim

import (
	"slices"
	"time"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/storage"
)

// Snapshots configures the simulated snapshots: as the node runtime does
// (paxi/node/snapshot.go), a replica whose protocol is a
// paxi.Checkpointer takes, between two Readys, a snapshot of its state
// machine with the protocol's checkpoint records, and its durable records
// are truncated behind the previous snapshot (storage.Log keeps one back).
// A restart loads the newest snapshot and replays the records after it.
type Snapshots struct {
	// Every is the number of commands executed between two snapshots.
	Every uint64
	// CrashEvery > 0 crashes the replica during every CrashEvery-th of its
	// snapshots, at the steps of storage.Log.SaveSnapshot in turn: before
	// the rename (the snapshot is lost), after it and before truncation
	// (the snapshot is saved, nothing truncated). It restarts RestartAfter
	// later (default 300ms).
	CrashEvery   int
	RestartAfter time.Duration
	// ChunkBytes is the data in one chunk of a snapshot sent to a peer
	// that lacks what the sender forgot (catchup.go); 0 means
	// paxi.DefaultSnapshotChunk.
	ChunkBytes int
}

// snapshot is what a simulated snapshot file holds: the records it covers
// (pos), the state machine and the checkpoint records, and, for the
// execution check, what the state machine had executed (the ExecLog of
// the incarnation that took it).
type snapshot struct {
	pos   int
	kv    []byte
	recs  []paxi.Message
	cmds  []paxi.Command
	count int
	sum   uint64
	// payload is the encoding a transfer carries (catchup.go), made once.
	payload []byte
}

// snapState is a replica's snapshots.
type snapState struct {
	last, prev *snapshot
	at         uint64 // r.executed at the last snapshot
	taken      int
	pending    bool // a snapshot is scheduled
	// sendTo are peers to send the snapshot being taken for them: the
	// newest was older than this replica's state (catchup.go).
	sendTo []paxi.ID
	// sent are the snapshots of the transfers this replica started, by
	// transfer id, for the receiver's execution log (catchup.go).
	sent map[uint64]*snapshot
}

// snapSteps are the crash points, in the order CrashEvery takes them.
var snapSteps = []string{storage.SnapBeforeRename, storage.SnapAfterRename, storage.SnapBeforeTruncate}

// snapshotDue schedules a snapshot once Every commands executed since the
// last; it runs as its own event, between two Readys.
func (r *replica) snapshotDue() {
	c := r.s.cfg.Snapshots
	if c == nil || r.snaps.pending || r.executed-r.snaps.at < c.Every {
		return
	}
	if _, ok := r.proto.(paxi.Checkpointer); !ok {
		return
	}
	r.snapshotNow()
}

func (r *replica) takeSnapshot() {
	s, c := r.s, r.s.cfg.Snapshots
	r.snaps.pending = false
	r.snaps.at = r.executed
	kv, err := r.kv.Snapshot()
	if err != nil {
		s.failf("replica %s: snapshot: %v", r.id, err)
		return
	}
	var recs []paxi.Message
	for _, m := range r.proto.(paxi.Checkpointer).Checkpoint() {
		if s.cfg.Codec != nil {
			if m, err = s.cfg.Codec(m); err != nil {
				s.failf("replica %s: codec round trip of checkpoint record: %v", r.id, err)
				return
			}
		}
		recs = append(recs, m)
	}
	snap := &snapshot{pos: r.durable.dropped + r.durable.n, kv: kv, recs: recs,
		cmds: slices.Clone(r.log.Commands), count: r.log.count, sum: r.log.sum}
	r.snaps.taken++
	step := ""
	if c.CrashEvery > 0 && r.snaps.taken%c.CrashEvery == 0 {
		step = snapSteps[(r.snaps.taken/c.CrashEvery)%len(snapSteps)]
	}
	crash := func() {
		s.note("crash %s at snapshot step %s", r.id, step)
		s.Crash(r.id)
		after := c.RestartAfter
		if after == 0 {
			after = 300 * time.Millisecond
		}
		s.restarting++
		s.At(s.now+after, func() { s.restarting--; s.Restart(r.id) })
	}
	if step == storage.SnapBeforeRename {
		crash()
		return
	}
	r.snaps.prev, r.snaps.last = r.snaps.last, snap
	if step != "" {
		crash()
		return
	}
	if r.snaps.prev != nil {
		r.durable.dropTo(r.snaps.prev.pos)
	}
	if cu, ok := r.proto.(paxi.CatchUpper); ok {
		cu.SnapshotSaved()
	}
	to := r.snaps.sendTo
	r.snaps.sendTo = nil
	r.SendSnapshot(to)
}

// snapshotNow schedules a snapshot whatever the interval (catchup.go).
func (r *replica) snapshotNow() {
	if r.snaps.pending {
		return
	}
	r.snaps.pending = true
	epoch := r.epoch
	r.s.At(r.s.now, func() {
		if r.up && r.epoch == epoch {
			r.takeSnapshot()
		}
	})
}

// restoredFromSnapshot is what a (re)started replica is built from: the
// newest snapshot's state machine and checkpoint records, then the
// records after it; without a snapshot, every record and an empty state.
func (r *replica) restoredFromSnapshot() ([]paxi.Message, *paxi.KV) {
	kv := paxi.NewKV()
	snap := r.snaps.last
	if snap == nil {
		return r.durable.all(), kv
	}
	if err := kv.Restore(snap.kv); err != nil {
		r.s.failf("replica %s: restore snapshot: %v", r.id, err)
	}
	recs := slices.Clone(snap.recs)
	all := r.durable.all()
	return append(recs, all[snap.pos-r.durable.dropped:]...), kv
}

// inheritExecLog starts a restarted incarnation's execution log with what
// its snapshot's state machine executed, so that the execution checks see
// one history per incarnation as if it had executed everything again.
func (r *replica) inheritExecLog() {
	if snap := r.snaps.last; snap != nil && r.epoch > 0 {
		r.log.Commands = append(r.log.Commands, snap.cmds...)
		r.log.count, r.log.sum = snap.count, snap.sum
	}
}

// dropTo forgets the records before absolute position pos.
func (d *durableLog) dropTo(pos int) {
	k := pos - d.dropped
	if k <= 0 {
		return
	}
	rest := d.all()[k:]
	d.chunks, d.n = nil, 0
	d.dropped = pos
	for _, m := range rest {
		d.append(m)
	}
}
