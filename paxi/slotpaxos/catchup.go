package slotpaxos

import "github.com/agora-consensus/agora/paxi"

// Catch-up from a snapshot (paxi.CatchUpper). A replica forgets the slots
// below its newest saved snapshot even if a peer has not executed them
// (Forget), so that memory stays bounded while a peer is down; a peer
// that then asks for a forgotten slot is sent the snapshot instead
// (Forgot). Only what a snapshot on disk covers is forgotten early: the
// host can always send what the peer lacks.

// SnapshotSaved notes that the last Checkpoint is durable in a snapshot.
func (l *Log[E]) SnapshotSaved() { l.saved = max(l.saved, l.taken) }

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
