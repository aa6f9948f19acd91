package slotpaxos

import "github.com/agora-consensus/agora/paxi"

// Catch-up from a snapshot (paxi.CatchUpper). Once the host can send
// snapshots a replica forgets slots a peer has not executed (forget.go),
// so that memory stays bounded while a peer is down; a peer that then asks
// for a forgotten slot is sent a snapshot instead (Forgot), one taken for
// it if the newest is older than the host's log, so it covers (but for one
// already being written when the peer asked, or one whose slots were
// executed before their commit point was logged, LazyCommit; the peer
// then asks again and gets the next) what
// was forgotten. A live peer that lags by a few batches is never forgotten
// past: it is heard from, and what lies below the snapshot before the
// newest is long executed everywhere.

// SnapshotSaved notes that the last Checkpoint is durable in a snapshot.
func (l *Log[E]) SnapshotSaved() {
	l.catchUp = true
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
