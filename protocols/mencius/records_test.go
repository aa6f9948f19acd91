package mencius

import (
	"slices"
	"testing"

	"github.com/agora-consensus/agora/internal/prototest"
	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/slotpaxos"
	"github.com/agora-consensus/agora/paxi/transport"
)

// recordsRun has every replica propose, cuts replica 3 off while the
// others revoke its slots, heals the network and has it catch up: its
// replicas write Records holding every kind of entry (votes at the first
// ballot and a revoker's, promises, own and peers' skips, learned values,
// commit points). check, if set, sees every message before delivery.
func recordsRun(t *testing.T, check func(c *net, e paxi.Envelope)) *net {
	c := newNet(t, 3)
	cut := func(e paxi.Envelope) bool { return e.To == c.IDs[2] || e.From == c.IDs[2] }
	var drop func(e paxi.Envelope) bool
	c.Drop = func(e paxi.Envelope) bool {
		if check != nil {
			check(c, e)
		}
		return drop != nil && drop(e)
	}
	for at := range c.Reps {
		c.ProposeN(at, 5)
	}
	c.TickAll(40)
	drop = cut
	c.ProposeN(0, 3)
	c.TickAll(200)
	drop = nil
	c.ProposeN(1, 4)
	c.ProposeN(2, 2)
	c.TickAll(200)
	kinds := map[string]int{}
	for _, disk := range c.Disk {
		for _, m := range disk {
			rec, ok := m.(*Records)
			if !ok {
				t.Fatalf("a %s record; every record is a Records", paxi.MessageName(m))
			}
			for _, e := range rec.entries() {
				kinds[paxi.MessageName(e)]++
			}
		}
	}
	for _, k := range []string{"slotpaxos.Vote", "mencius.Promised", "slotpaxos.Learned", "mencius.Skip", "slotpaxos.Committed"} {
		if kinds[k] == 0 {
			t.Fatalf("scenario: no %s entry in the records (%v)", k, kinds)
		}
	}
	return c
}

// asSingle is disk with every Records replaced by the records of their
// own it holds, as the build before Records wrote them.
func asSingle(t *testing.T, disk []paxi.Message) []paxi.Message {
	var out []paxi.Message
	for _, m := range disk {
		if rec, ok := m.(*Records); ok {
			for _, e := range rec.entries() {
				out = append(out, prototest.MustRoundTrip(t, e))
			}
			continue
		}
		out = append(out, m)
	}
	return out
}

// A replica restored from its Records holds exactly what it holds restored
// from the same entries as records of their own (the format of the build
// before Records, which still restores), and executes the same.
func TestRecordsRestoreAsTheRecordsTheyReplace(t *testing.T) {
	c := recordsRun(t, nil)
	for i := range c.Reps {
		old := asSingle(t, c.Disk[i])
		full, single := prototest.SameRestore(c, i, old, len(c.Disk[i]), 0, func(r *Replica) *slotpaxos.Log[entry] { return &r.log },
			func(a, b *entry) bool { return a.bal == b.bal && a.pbal == b.pbal })
		if full.topN != single.topN || full.nextOwn != single.nextOwn || !slices.Equal(full.inflight, single.inflight) {
			t.Fatalf("%s: topN %d nextOwn %d inflight %v from single records, %d %d %v from Records",
				c.IDs[i], single.topN, single.nextOwn, single.inflight, full.topN, full.nextOwn, full.inflight)
		}
	}
}

// A log cut after any record (a torn tail drops the records of the last
// sync) restores, and the replica executes a prefix of what the whole log
// makes it execute.
func TestEveryPrefixOfTheRecordsRestores(t *testing.T) {
	c := recordsRun(t, nil)
	for i := range c.Reps {
		all := c.Start(i, c.Disk[i], nil).Ready().Execute
		for k := range len(c.Disk[i]) {
			r := c.Start(i, c.Disk[i][:k], nil) // fails the test on a restore error
			if got := r.Ready().Execute; !slices.Equal(got, all[:min(len(got), len(all))]) || len(got) > len(all) {
				t.Fatalf("%s restored from its first %d records executes %d commands, not a prefix of the %d of its whole log", c.IDs[i], k, len(got), len(all))
			}
		}
	}
}

// 17 MiB of commands proposed in one Ready are written as several Records,
// each under the transport's frame, and the first alone restores the own
// slots it holds as votes, never to be proposed in again.
func TestRecordsOfOneReadyAreCutToTheBudget(t *testing.T) {
	c := newNet(t, 3)
	r := c.Reps[0]
	for _, cmd := range prototest.BigPuts(1, "big", 17) {
		r.Propose(paxi.Request{Command: cmd})
	}
	rd := r.Ready()
	if len(rd.Persist) < 2 {
		t.Fatalf("%d records for 17 MiB of commands, want them cut to paxi.MessageBudget", len(rd.Persist))
	}
	for _, m := range rd.Persist {
		if b, err := transport.Marshal(nil, m); err != nil || len(b) > paxi.DefaultMaxFrame {
			t.Fatalf("a record of %d bytes (%v), over the %d-byte frame", len(b), err, paxi.DefaultMaxFrame)
		}
	}
	first := prototest.MustRoundTrip(t, rd.Persist[0]).(*Records)
	back := c.Start(0, []paxi.Message{first}, nil)
	for _, v := range first.Votes {
		if e := back.log.At(v.Slot); !e.Has || e.VBal != v.Ballot || back.nextOwn <= v.Slot {
			t.Fatalf("slot %d restored as %+v, next own slot %d", v.Slot, *e, back.nextOwn)
		}
	}
}

// durable is what a replica's records hold: votes (slot, ballot), promises
// and the slots of its own skips.
type durable struct {
	votes    map[[2]int64]bool
	promised []Promised
	skipped  map[int64]bool
}

func durableOf(c *net, i int) durable {
	d := durable{votes: map[[2]int64]bool{}, skipped: map[int64]bool{}}
	for _, m := range asSingle(c.T, c.Disk[i]) {
		switch m := m.(type) {
		case *Voted:
			d.votes[[2]int64{m.Slot, int64(m.Ballot)}] = true
		case *Promised:
			d.promised = append(d.promised, *m)
		case *Skip:
			if int(m.From%3) == i {
				for s := m.From; s < m.To; s += 3 {
					d.skipped[s] = true
				}
			}
		}
	}
	return d
}

// Every vote, promise and own skip a message announces (an Accept carries
// the proposer's own vote) is in the sender's records by the time the
// message is delivered: Records let what a replica learned wait, never
// what it announces.
func TestAnnouncedVotesPromisesAndSkipsAreDurable(t *testing.T) {
	checked := 0
	seen := map[int]int{} // records indexed, per replica
	ds := map[int]durable{}
	recordsRun(t, func(c *net, e paxi.Envelope) {
		p := paxi.IndexOf(c.IDs, e.From)
		if seen[p] != len(c.Disk[p]) {
			seen[p], ds[p] = len(c.Disk[p]), durableOf(c, p)
		}
		d := ds[p]
		vote := func(s int64, b paxi.Ballot) {
			checked++
			// An acceptor answers a proposal of the value chosen in the
			// slot without a new vote (it holds it chosen already).
			r := c.Reps[p]
			if s < r.log.Base() || s < r.log.End() && r.log.At(s).Committed || d.votes[[2]int64{s, int64(b)}] {
				return
			}
			t.Fatalf("%s sent %s announcing its vote in slot %d at ballot %v, not in its records", e.From, paxi.MessageName(e.Msg), s, b)
		}
		switch m := e.Msg.(type) {
		case *Accept:
			vote(m.Slot, m.Ballot)
		case *Accepts:
			for _, pr := range m.Props {
				vote(pr.Slot, m.Ballot)
			}
		case *Accepted:
			vote(m.Slot, m.Ballot)
		case *AcceptedSlots:
			for _, s := range m.Slots {
				vote(s, m.Ballot)
			}
		case *Promise:
			checked++
			if !slices.Contains(d.promised, Promised{Ballot: m.Ballot, Owner: m.Owner, From: m.From, To: m.To}) {
				t.Fatalf("%s promised %v over [%d, %d) of %d, not in its records", e.From, m.Ballot, m.From, m.To, m.Owner)
			}
		case *Skip:
			for s := m.From; s < m.To; s += 3 {
				checked++
				if !d.skipped[s] {
					t.Fatalf("%s skipped slot %d, not in its records", e.From, s)
				}
			}
		}
	})
	t.Logf("%d announcements checked", checked)
}
