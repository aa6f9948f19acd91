package multipaxos

import "github.com/agora-consensus/agora/paxi"

var _ paxi.CatchUpper = (*Replica)(nil)

// Checkpoint implements paxi.Checkpointer: the slot log as held
// (slotpaxos.Log.Checkpoint: the executed point, the commit point, the
// votes and chosen values of every slot not forgotten) and the promise.
// What a restore from the whole log would rebuild beyond that is only the
// forgotten slots, which every replica executed and none asks about.
func (r *Replica) Checkpoint() []paxi.Message {
	out := r.log.Checkpoint()
	if r.promised != 0 {
		out = append(out, &Promised{Ballot: r.promised})
	}
	return out
}

// SnapshotSaved implements paxi.CatchUpper (slotpaxos.Log.SnapshotSaved).
func (r *Replica) SnapshotSaved() { r.log.SnapshotSaved() }

// Behind implements paxi.CatchUpper (slotpaxos.Log.Behind).
func (r *Replica) Behind(peer []paxi.Message) bool { return r.log.Behind(peer) }
