package slotpaxos

import (
	"fmt"

	"github.com/agora-consensus/agora/paxi"
)

// Snapshotted is the first checkpoint record (paxi.Checkpointer) of a
// slot log: the slots below Executed are applied to the state machine
// snapshot the record travels with, so a restored replica executes from
// there on, and the slots below Base were forgotten (executed everywhere).
// It is only ever written inside a snapshot, never in the log.
type Snapshotted struct {
	Base, Executed int64
}

func init() { paxi.RegisterMessage("slotpaxos.Snapshotted", &Snapshotted{}) }

// Checkpoint returns the records that rebuild this log as held now: where
// it starts and how far it executed, the commit point, and per slot held
// the replica's own vote and, if chosen, the chosen value. It keeps every
// slot from Base on, not only the unexecuted ones, because those are the
// slots a peer may still ask about (a candidate's phase 1 covers the slots
// above its own commit point, a lagging replica asks for chosen values
// above what it executed). Protocols add their own promises.
func (l *Log[E]) Checkpoint() []paxi.Message {
	l.taken = l.Executed
	out := []paxi.Message{&Snapshotted{Base: l.Base(), Executed: l.Executed}}
	if l.Commit > l.Base() {
		out = append(out, &Committed{Upto: l.Commit})
	}
	for s := l.Base(); s < l.End(); s++ {
		sl := l.Slot(s)
		if !sl.Has {
			continue
		}
		if sl.VBal != 0 {
			// After Choose the value held is the chosen one, not the one
			// voted for; a vote in a chosen slot never matters in phase 1
			// (Better prefers the chosen value), so this loses nothing.
			out = append(out, &Vote{Slot: s, Ballot: sl.VBal, Cmds: sl.Cmds, Noop: sl.Noop})
		}
		if sl.Committed {
			out = append(out, &Learned{Slot: s, Cmds: sl.Cmds, Noop: sl.Noop})
		}
	}
	return out
}

// restoreSnapshotted takes a Snapshotted record, which comes before every
// other record of a restore. A later one, not above the first, starts
// this replica's own checkpoint after a peer's, in a snapshot installed
// from that peer (paxi.CatchUpper): the records after it are restored as
// usual, those of slots below the peer's Base ignored.
func (l *Log[E]) restoreSnapshotted(m *Snapshotted) error {
	if m.Base < 0 || m.Executed < m.Base {
		return fmt.Errorf("snapshot record (base %d, executed %d) inconsistent", m.Base, m.Executed)
	}
	if l.Len() > 0 || l.Base() > 0 || l.snapExec > 0 {
		if m.Executed <= l.snapExec {
			return nil
		}
		return fmt.Errorf("snapshot record (base %d, executed %d) not first, and above the first (executed %d)", m.Base, m.Executed, l.snapExec)
	}
	l.Drop(m.Base)
	l.snapExec = m.Executed
	l.restored = max(l.restored, m.Executed)
	// The snapshot restored from is on disk: a peer can be sent it.
	l.newest, l.catchUp = m.Executed, true
	return nil
}
