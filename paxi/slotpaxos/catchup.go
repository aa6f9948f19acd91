package slotpaxos

import "github.com/agora-consensus/agora/paxi"

// Catch-up from a snapshot (paxi.CatchUpper). A replica forgets the slots
// below the snapshot it saved before its newest even if a peer has not
// executed them (Forget), so that memory stays bounded while a peer is
// down (by two snapshot intervals and what is in flight); a peer that then
// asks for a forgotten slot is sent the newest snapshot instead (Forgot).
// Only what a snapshot on disk covers is forgotten early, so the host can
// always send what the peer lacks; and a live peer that lags by less than
// a snapshot interval (a follower a few batches behind) never needs one.

// SnapshotSaved notes that the last Checkpoint is durable in a snapshot.
func (l *Log[E]) SnapshotSaved() {
	if l.taken > l.newest {
		l.saved, l.newest = l.newest, l.taken
	}
}

// Forgot reports whether slot s is below what this log holds: a peer
// that asks from there needs a snapshot (paxi.Outbox.SendSnapshot).
func (l *Log[E]) Forgot(s int64) bool { return s < l.Base() }

// Behind reports whether a peer's checkpoint records (Snapshotted first)
// hold more executed slots than this replica executed: installing them
// never goes back.
func (l *Log[E]) Behind(peer []paxi.Message) bool {
	if len(peer) == 0 {
		return false
	}
	m, ok := peer[0].(*Snapshotted)
	return ok && m.Executed > l.Executed
}

// Held is the number of slots held in memory.
func (l *Log[E]) Held() int { return l.Len() }
