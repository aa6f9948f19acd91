package mencius

import "github.com/agora-consensus/agora/paxi"

var _ paxi.CatchUpper = (*Replica)(nil)

// Top is a checkpoint record (never in the log): the highest ballot number
// this replica promised or voted at, and its next own slot, which a
// restore from the whole log finds in records of slots since forgotten.
type Top struct {
	N       uint32
	NextOwn int64
}

func init() { paxi.RegisterMessage("mencius.Top", &Top{}) }

// Checkpoint implements paxi.Checkpointer: the slot log as held
// (slotpaxos.Log.Checkpoint: executed and commit points, votes, chosen
// values and skips as chosen no-ops), the promises of every slot held
// above its vote, one Promised record per run of an owner's slots with
// the same promise, and Top.
func (r *Replica) Checkpoint() []paxi.Message {
	out := r.log.Checkpoint()
	for q := 0; q < int(r.n); q++ {
		var run *Promised
		for s := r.ownAtOrAbove(q, r.log.Base()); s < r.log.End(); s += r.n {
			e := r.log.At(s)
			if e.bal == 0 || e.Has && e.VBal >= e.bal {
				run = nil // restored from the vote, or none
				continue
			}
			if run != nil && run.Ballot == e.bal && run.To == s {
				run.To = s + r.n
				continue
			}
			run = &Promised{Ballot: e.bal, Owner: int32(q), From: s, To: s + r.n}
			out = append(out, run)
		}
	}
	return append(out, &Top{N: r.topN, NextOwn: r.nextOwn})
}

// restoreTop takes a Top record.
func (r *Replica) restoreTop(m *Top) {
	r.topN = max(r.topN, m.N)
	if r.owner(m.NextOwn) == r.self {
		// Not a peer's Top, in a snapshot installed from it (its next own
		// slot is its own).
		r.nextOwn = max(r.nextOwn, m.NextOwn)
	}
}

// SnapshotSaved implements paxi.CatchUpper (slotpaxos.Log.SnapshotSaved).
func (r *Replica) SnapshotSaved() { r.log.SnapshotSaved() }

// Behind implements paxi.CatchUpper (slotpaxos.Log.Behind).
func (r *Replica) Behind(peer []paxi.Message) bool { return r.log.Behind(peer) }
