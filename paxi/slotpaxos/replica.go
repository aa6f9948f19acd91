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

// Count is one of a replica's counters: its name after the protocol's, a
// line of help, and its value.
type Count struct {
	Name, Help string
	N          uint64
}

// C is the Count name, help, n.
func C(name, help string, n uint64) Count { return Count{Name: name, Help: help, N: n} }

// Counters are a replica's counts as Stats, named after protocol name.
func Counters(name string, cs ...Count) []paxi.Stat {
	out := make([]paxi.Stat, len(cs), len(cs)+2)
	for i, c := range cs {
		out[i] = paxi.Stat{Name: name + "_" + c.Name, Help: c.Help, Value: float64(c.N), Counter: true}
	}
	return out
}

// Stats are the log's own gauges, named after protocol name: the commit
// point, and the slots held (not forgotten yet), which grow while a
// replica is down.
func (l *Log[E]) Stats(name string) []paxi.Stat {
	return []paxi.Stat{
		{Name: name + "_commit_slot", Help: "slots chosen and held here", Value: float64(l.Commit)},
		{Name: name + "_held_slots", Help: "slots held, not yet executed everywhere", Value: float64(l.Len())},
		{Name: name + "_held_executed_slots", Help: "slots executed here and held for a peer that has not executed them", Value: float64(max(l.Executed-l.Base(), 0))},
	}
}
