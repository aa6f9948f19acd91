package multipaxos

import (
	"math"
	"slices"
	"testing"

	"github.com/agora-consensus/agora/paxi"
)

// held is a network where every message waits until the test delivers it.
type held struct {
	c    *net
	msgs []paxi.Envelope
}

// flush carries out replica i's Ready, holding its messages.
func (h *held) flush(i int) paxi.Ready {
	rd := h.c.Reps[i].Ready()
	for _, m := range rd.Persist {
		h.c.Disk[i] = append(h.c.Disk[i], roundTrip(h.c.T, m))
	}
	for _, e := range rd.Messages {
		e.Msg = roundTrip(h.c.T, e.Msg)
		h.msgs = append(h.msgs, e)
	}
	h.c.Exec[i] = append(h.c.Exec[i], rd.Execute...)
	return rd
}

// deliver hands the first held message of type T from one replica to
// another to its receiver, and carries out the receiver's Ready.
func deliver[T paxi.Message](t *testing.T, h *held, from, to int) paxi.Ready {
	t.Helper()
	for k, e := range h.msgs {
		if _, ok := e.Msg.(T); ok && e.From == h.c.IDs[from] && e.To == h.c.IDs[to] {
			h.msgs = slices.Delete(h.msgs, k, k+1)
			h.c.Reps[to].Step(e.From, e.Msg)
			return h.flush(to)
		}
	}
	var zero T
	t.Fatalf("no %T from %s to %s is held", zero, h.c.IDs[from], h.c.IDs[to])
	return paxi.Ready{}
}

// A replica can learn of a ballot from a Reject or a heartbeat before the
// ballot's Prepare reaches it. Its promise must still be persisted before
// it leaves; otherwise, restarted, it promises or accepts below it and two
// values are chosen for one slot (found in review: 1.1 executed y and 1.3
// executed x in slot 0).
func TestPromiseIsPersistedAfterBallotLearnedFromReject(t *testing.T) {
	c := newNet(t, 3)
	h := &held{c: c}
	c.Reps[2].campaign() // 1.3 runs at b = (1, 1.3)
	h.flush(2)
	c.Reps[0].broadcastHeartbeat() // the first leader, 1.1, is idle
	h.flush(0)
	deliver[*Heartbeat](t, h, 0, 2)
	deliver[*Reject](t, h, 2, 0) // 1.1 now knows b, without a record
	rd := deliver[*Prepare](t, h, 2, 0)
	if !slices.ContainsFunc(rd.Persist, func(m paxi.Message) bool {
		p, ok := m.(*Promised)
		return ok && p.Ballot == c.Reps[2].bal
	}) {
		t.Fatalf("1.1 promised %s and persisted only %v", c.Reps[2].bal, rd.Persist)
	}
	deliver[*Promise](t, h, 0, 2)
	if !c.Reps[2].leading {
		t.Fatal("1.3 does not lead")
	}
	c.Restart(0)
	y, x := put(1, 1, "k", "y"), put(2, 1, "k", "x")
	c.Reps[0].Propose(paxi.Request{Command: y})
	h.flush(0)
	c.Reps[2].Propose(paxi.Request{Command: x})
	h.flush(2)
	deliver[*Accept](t, h, 2, 1)
	deliver[*Accepted](t, h, 1, 2)
	if c.Reps[0].leading || len(c.Exec[0]) != 0 {
		t.Fatalf("restarted 1.1 leads (%v) or executed %v", c.Reps[0].leading, c.Exec[0])
	}
	if !slices.Equal(c.Exec[2], []paxi.Command{x}) {
		t.Fatalf("1.3 executed %v, want %v", c.Exec[2], x)
	}
}

// A ballot no replica of the cluster could make is ignored: one such
// Prepare would otherwise be promised, persisted, and outbid by nobody.
func TestForeignBallotsAreIgnored(t *testing.T) {
	for _, b := range []paxi.Ballot{
		1<<48 | paxi.NewBallot(0, "1.3"),        // above the 32-bit number
		paxi.NewBallot(math.MaxUint32, "1.3"),   // no successor
		paxi.NewBallot(math.MaxUint32-1, "1.3"), // leaves no room to campaign
		paxi.NewBallot(1<<21, "1.3"),            // far above any ballot seen
		paxi.NewBallot(5, "9.9"),                // not a replica
		paxi.NewBallot(5, "1.1"),                // not the sender's (a Reject may name it)
	} {
		c := newNet(t, 3)
		r := c.Reps[1]
		r.Step("1.3", &Prepare{Ballot: b})
		r.Step("1.3", &Heartbeat{Ballot: b})
		r.Step("1.3", &Accept{Ballot: b, Slot: 0, Cmds: []paxi.Command{put(1, 1, "k", "v")}})
		if b.ID() == "1.3" {
			r.Step("1.3", &Reject{Ballot: b})
		}
		rd := r.Ready()
		if r.bal != paxi.NewBallot(0, "1.1") || len(rd.Persist) != 0 || len(rd.Messages) != 0 {
			t.Errorf("ballot %#x: now at %s, persisted %v, sent %v", uint64(b), r.bal, rd.Persist, rd.Messages)
		}
	}
}

// A replica whose records hold only values learned by catch-up has no
// ballot of its own; restarted, it follows the first leader rather than
// sending to nobody.
func TestRestoreWithoutBallotFollowsFirstLeader(t *testing.T) {
	c := newNet(t, 3)
	r := c.Start(2, []paxi.Message{&Learned{Slot: 0, Cmds: []paxi.Command{put(1, 1, "k", "v")}}, &Committed{Upto: 1}}, nil)
	r.Propose(paxi.Request{Command: put(2, 1, "k", "w")})
	rd := r.Ready()
	if len(rd.Execute) != 1 {
		t.Errorf("executed %v after the restart, want the learned slot", rd.Execute)
	}
	for _, e := range rd.Messages {
		if paxi.IndexOf(c.IDs, e.To) < 0 {
			t.Errorf("sent %T to %q, not a replica", e.Msg, e.To)
		}
	}
	if len(rd.Messages) == 0 {
		t.Error("the proposal was not forwarded")
	}
}
