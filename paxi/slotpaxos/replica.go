package slotpaxos

import "github.com/agora-consensus/agora/paxi"

// Entry is one slot as a proposer holds it: the slot itself and what it
// keeps of its own proposal there. Protocols use it as, or embed it in,
// their per-slot state.
type Entry struct {
	Slot
	Proposal
}

// EntrySlot finds the Slot of an Entry, for NewCore and NewLog.
func EntrySlot(e *Entry) *Slot { return &e.Slot }

// Register registers protocol name, built by build (paxi.Register).
func Register[R paxi.Protocol](name string, build func(paxi.Env) (R, error)) {
	paxi.Register(name, func(env paxi.Env) (paxi.Protocol, error) { return build(env) })
}

// Progress broadcasts this replica's progress on out when a report is due
// at tick now (Report); every replica calls it once a tick.
func (l *Log[E]) Progress(out *paxi.Outbox, now int64) {
	if p, ok := l.Report(now); ok {
		out.Broadcast(p)
	}
}

// Counter is a counter of a replica's Stats.
func Counter(name, help string, v uint64) paxi.Stat {
	return paxi.Stat{Name: name, Help: help, Value: float64(v), Counter: true}
}

// Stats are the log's own gauges, named after protocol name: the commit
// point, and the slots held (not forgotten yet), which grow while a
// replica is down.
func (l *Log[E]) Stats(name string) []paxi.Stat {
	return []paxi.Stat{
		{Name: name + "_commit_slot", Help: "slots chosen and held here", Value: float64(l.Commit)},
		{Name: name + "_held_slots", Help: "slots held, not yet executed everywhere", Value: float64(l.Len())},
	}
}
