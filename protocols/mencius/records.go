package mencius

import (
	"fmt"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/slotpaxos"
)

// Records is what a replica makes durable in one Ready, as one log record
// (more only when its commands exceed paxi.MessageBudget bytes): its votes,
// promises and own skips, and the chosen values, peers' skips and commit
// point it learned. Writing each as a record of its own made about 10
// records per command with clients at one replica at low load, where a slot
// holds a command or two (docs/SNAPSHOTS.md, "Mencius: records per
// command").
//
// Votes, promises and own skips are written in the Ready that casts them,
// so before the messages announcing them leave (paxi.Process persists a
// Ready's records first). So is the commit point when the Ready executes a
// command proposed here, before its client is answered: an answered
// command is below a commit point its replica persisted, and executed
// again by a restart of it (with the whole cluster restarted at once, it
// was otherwise executed by nobody until the proposer resent its Accept:
// seed 471 of bin/sim's random faults with snapshot crashes, 3 replicas).
// What else a replica learns (a peer's skip, a chosen value, its commit
// point) announces nothing, and is durable elsewhere: a skip at its owner,
// a chosen value at a majority's votes or its owner's skip. So it waits
// for the next record the replica writes anyway, or for ProgressTicks when
// none comes. Its loss in a crash only makes the replica learn it again;
// what it tells its peers it executed stays below the commit point it
// persisted (slotpaxos.Log.Reported), so they never forget a slot it would
// need again after a restart. Every value below a persisted commit point
// is in that record or an earlier one, since a record carries everything
// learned until it is written.
//
// Restore takes each list in the order written here. Within one Ready a
// replica votes in a slot only before it learns the slot chosen (a chosen
// slot takes no new vote), so votes go before learned values and skips;
// promises and votes both only raise a slot's promise, in either order.
// The old records, one per vote (Voted), learned value, skip, promise and
// commit point, are still restored: a log written before Records holds them.
type Records struct {
	Votes    []Vote              `msgpack:",omitempty"`
	Promised []Promised          `msgpack:",omitempty"`
	Learned  []slotpaxos.Learned `msgpack:",omitempty"`
	Skips    []Skip              `msgpack:",omitempty"`
	// Commit, when above 0, is a slotpaxos.Committed: every slot below it
	// is chosen, with the value held for it.
	Commit int64 `msgpack:",omitempty"`
}

func init() { paxi.RegisterMessage("mencius.Records", &Records{}) }

// recorder gathers the records of a replica until they are written.
type recorder struct {
	recs   []*Records  // the last takes the next entry, unless its budget is spent
	budget paxi.Budget // of the last one
	// now is set when a vote, promise or own skip is among them, or the
	// Ready executes a command proposed here: they are written with this
	// Ready. Otherwise what was learned has waited since tick since
	// (waiting).
	now, waiting bool
	since        int64
}

// take returns the record for an entry of size bytes.
func (w *recorder) take(size int) *Records {
	if len(w.recs) == 0 || !w.budget.Take(size) {
		w.recs = append(w.recs, &Records{})
		w.budget.Reset()
		w.budget.Take(size)
	}
	return w.recs[len(w.recs)-1]
}

// recordVote records a vote, to be durable before the Ready's messages leave.
func (r *Replica) recordVote(v Vote) {
	rec := r.rec.take(paxi.EntryBytes(v.Cmds, 0))
	rec.Votes = append(rec.Votes, v)
	r.rec.now = true
}

// recordPromise records a promise, to be durable before the Ready's
// messages leave.
func (r *Replica) recordPromise(p Promised) {
	rec := r.rec.take(paxi.EntryBytes(nil, 0))
	rec.Promised = append(rec.Promised, p)
	r.rec.now = true
}

// recordSkip records a skip of slots from, from+N, ... below to: now if
// they are this replica's own (announced in this Ready), with the next
// record otherwise. An own range that continues the last one extends it.
func (r *Replica) recordSkip(from, to int64) {
	own := r.owner(from) == r.self
	rec := r.rec.take(paxi.EntryBytes(nil, 0))
	if k := len(rec.Skips); k > 0 && rec.Skips[k-1].To == from {
		rec.Skips[k-1].To = to
	} else {
		rec.Skips = append(rec.Skips, Skip{From: from, To: to})
	}
	r.rec.now = r.rec.now || own
}

// recordLearned records a chosen value learned from a peer, to go with the
// next record.
func (r *Replica) recordLearned(l slotpaxos.Learned) {
	rec := r.rec.take(paxi.EntryBytes(l.Cmds, 0))
	rec.Learned = append(rec.Learned, l)
}

// writeRecords persists what was gathered, with the commit point, when a
// vote, promise or own skip is among it, a command proposed here executed,
// or what was learned has waited ProgressTicks; called from Ready.
func (r *Replica) writeRecords() {
	w := &r.rec
	learned := len(w.recs) > 0 || r.log.Commit > r.log.DurableCommit()
	if !w.now && !learned {
		return
	}
	if !w.now {
		if !w.waiting {
			w.waiting, w.since = true, r.now
		}
		if r.now-w.since < int64(r.p.ProgressTicks) {
			return
		}
	}
	if c, ok := r.log.Durable(); ok {
		if len(w.recs) == 0 {
			w.recs = append(w.recs, &Records{})
		}
		w.recs[len(w.recs)-1].Commit = c.Upto // last: after every value below it
	}
	for _, rec := range w.recs {
		r.Persist(rec)
	}
	clear(w.recs)
	w.recs, w.now, w.waiting = w.recs[:0], false, false
	w.budget.Reset()
}

// restoreRecords takes a Records record.
func (r *Replica) restoreRecords(m *Records) error {
	if m.Commit < 0 {
		return fmt.Errorf("records: commit point %d", m.Commit)
	}
	for _, e := range m.entries() {
		if err := r.restoreOne(e); err != nil {
			return err
		}
	}
	return nil
}

// entries are the records of their own that m replaces, in the order
// restore takes them.
func (m *Records) entries() []paxi.Message {
	out := make([]paxi.Message, 0, len(m.Votes)+len(m.Promised)+len(m.Learned)+len(m.Skips)+1)
	for i := range m.Votes {
		out = append(out, &m.Votes[i])
	}
	for i := range m.Promised {
		out = append(out, &m.Promised[i])
	}
	for i := range m.Learned {
		out = append(out, &m.Learned[i])
	}
	for i := range m.Skips {
		out = append(out, &m.Skips[i])
	}
	if m.Commit > 0 {
		out = append(out, &slotpaxos.Committed{Upto: m.Commit})
	}
	return out
}
