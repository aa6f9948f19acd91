package multipaxos

import (
	"fmt"
	"slices"
	"testing"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/slotpaxos"
)

// A stale leader that learns a slot from a late Chosen reply (the value
// chosen there at a higher ballot it has not heard of) must not announce it
// as chosen at its own ballot: a follower whose vote in that slot is at the
// stale ballot would take its own, different value as chosen. The exact
// schedule of issue 11, N=5:
//
//  1. 1.1 leads at b0 and chooses a in slot 0 with 1.3 and 1.4; 1.2 hears
//     the commit point and asks 1.1 to catch it up; that CatchUp is held.
//  2. 1.2 wins b1 with 1.3 and 1.4 and proposes v in slot 1; only 1.5
//     votes for it.
//  3. 1.1 wins b2 > b1 with 1.3 and 1.4 and chooses v2 in slot 1.
//  4. The held CatchUp reaches 1.1; its Chosen reply (a, v2) reaches 1.2,
//     still leading at b1.
//
// Before the fix, 1.2 committed v2 and announced commit point 2 at b1, and
// 1.5 executed [a, v] against everyone else's [a, v2].
func TestStaleLeaderDoesNotAnnounceASlotChosenAtAHigherBallot(t *testing.T) {
	c := newNet(t, 5)
	a, v, v2 := put(1, 1, "k", "a"), put(2, 1, "k", "v"), put(3, 1, "k", "v2")
	cut := map[paxi.ID]bool{} // replicas nobody talks to, either way
	var held []paxi.Envelope
	drop := func(e paxi.Envelope) bool { return cut[e.From] || cut[e.To] }
	c.Drop = drop

	// 1. Slot 0 is chosen with 1.3 and 1.4; 1.2 and 1.5 get no Accept.
	c.Drop = func(e paxi.Envelope) bool {
		if _, ok := e.Msg.(*CatchUp); ok && e.From == "1.2" {
			held = append(held, e)
			return true
		}
		_, acc := e.Msg.(*Accept)
		return acc && (e.To == "1.2" || e.To == "1.5")
	}
	c.Propose(0, a)
	if len(held) != 1 {
		t.Fatalf("1.2 sent %d CatchUps on the commit point, want 1 (to hold)", len(held))
	}

	// 2. 1.2 wins b1 without 1.1; its slot-1 Accept reaches only 1.5.
	cut["1.1"] = true
	c.Drop = func(e paxi.Envelope) bool {
		if _, ok := e.Msg.(*CatchUp); ok {
			return true // 1.2 would ask again; the first one is held
		}
		if acc, ok := e.Msg.(*Accept); ok && acc.Slot == 1 && e.To != "1.5" {
			return true
		}
		return drop(e)
	}
	c.Reps[1].campaign()
	c.Run()
	if !c.Reps[1].leading {
		t.Fatalf("1.2 did not win its campaign (ballot %s)", c.Reps[1].bal)
	}
	b1 := c.Reps[1].bal
	c.Propose(1, v)
	if e := c.Reps[4].log.At(1); !e.Has || e.VBal != b1 || !slices.Equal(e.Cmds, []paxi.Command{v}) {
		t.Fatalf("1.5's slot 1 is %+v, want its vote for v at %s", *e, b1)
	}

	// 3. 1.1 wins a ballot above b1 with 1.3 and 1.4 and chooses v2.
	cut["1.1"], cut["1.2"], cut["1.5"] = false, true, true
	c.Drop = drop
	for try := 0; !c.Reps[0].leading || c.Reps[0].bal <= b1; try++ {
		if try == 3 {
			t.Fatalf("1.1 did not win a ballot above %s in 3 campaigns", b1)
		}
		c.Reps[0].campaign() // the first may lose to b1, and learn of it
		c.Run()
	}
	if c.Reps[0].bal <= b1 {
		t.Fatalf("1.1 leads at %s, not above %s", c.Reps[0].bal, b1)
	}
	c.Propose(0, v2)
	if c.Reps[0].log.Commit != 2 {
		t.Fatalf("1.1's commit point is %d, want slot 1 chosen", c.Reps[0].log.Commit)
	}

	// 4. The held CatchUp reaches 1.1; the reply reaches the stale leader.
	cut["1.2"], cut["1.5"] = false, false
	cut["1.3"], cut["1.4"] = true, true // 1.2 hears of b2 only from the reply
	c.Reps[0].Step(held[0].From, held[0].Msg)
	c.Run()
	c.Reps[1].Tick()
	c.Run()

	want := []paxi.Command{a, v2}
	for i := range c.Reps {
		if got := c.Exec[i]; !slices.Equal(got, want[:min(len(got), len(want))]) || len(got) > len(want) {
			t.Errorf("%s executed %v; the slots chose %v", c.IDs[i], got, want)
		}
	}
}

// A leader never puts a new batch in a slot it already knows chosen: the
// batch goes in the next free slot instead of being swapped for the
// chosen value and lost.
func TestLeaderSkipsChosenSlotsForNewBatches(t *testing.T) {
	c := newNet(t, 3)
	r := c.Reps[0]
	chosen, fresh := put(1, 1, "k", "chosen"), put(2, 1, "k", "fresh")
	e := r.log.Grow(0)
	e.Cmds, e.Has, e.Committed = []paxi.Command{chosen}, true, true
	c.Propose(0, fresh)
	if !slices.Equal(c.Exec[1], []paxi.Command{chosen, fresh}) {
		t.Fatalf("1.2 executed %v, want %v", c.Exec[1], []paxi.Command{chosen, fresh})
	}
}

// A Forward that reaches a replica that is not the leader (the sender's
// view of the leader is stale) is passed on to the leader it knows, not
// dropped until the sender's retry; one that has gone round N times is
// dropped.
func TestForwardToAFollowerIsPassedOn(t *testing.T) {
	c := newNet(t, 3)
	r := c.Reps[2]
	b := paxi.NewBallot(1, "1.2")
	r.Step("1.2", &Heartbeat{Ballot: b})
	r.Ready()
	x := put(1, 1, "k", "x")
	r.Step("1.1", &Forward{Cmds: []paxi.Command{x}})
	rd := r.Ready()
	if len(rd.Messages) != 1 || rd.Messages[0].To != "1.2" {
		t.Fatalf("sent %v, want the Forward passed on to the leader 1.2", rd.Messages)
	}
	if f, ok := rd.Messages[0].Msg.(*Forward); !ok || !slices.Equal(f.Cmds, []paxi.Command{x}) || f.Hops != 1 {
		t.Fatalf("sent %T %+v, want a Forward of %v with one hop", rd.Messages[0].Msg, rd.Messages[0].Msg, x)
	}
	r.Step("1.1", &Forward{Cmds: []paxi.Command{x}, Hops: 3})
	if rd := r.Ready(); len(rd.Messages) != 0 {
		t.Fatalf("a Forward passed on 3 times went on: %v", rd.Messages)
	}
}

// A candidate that catches up and forgets slots while its campaign runs
// does not propose in them when it wins (swarm seed 1528 of the generator
// of 2026-12-02 panicked there, once every replica forgot by its peers'
// progress reports).
func TestCandidateSkipsSlotsForgottenDuringItsCampaign(t *testing.T) {
	c := newNet(t, 3)
	r := c.Reps[2]
	r.campaign()
	var votes []Vote
	for s := range int64(3) {
		votes = append(votes, Vote{Slot: s, Ballot: paxi.NewBallot(0, "1.1"), Cmds: []paxi.Command{put(1, uint64(s+1), "k", "v")}, Committed: true})
	}
	r.Step("1.1", &Chosen{Votes: votes, Commit: 3})
	r.Step("1.1", &paxi.SlotProgress{Executed: 3, Commit: 3})
	r.Step("1.2", &paxi.SlotProgress{Executed: 3, Commit: 3})
	r.Ready()
	if r.log.Base() != 3 {
		t.Fatalf("base %d, want slots 0-2 forgotten", r.log.Base())
	}
	r.Step("1.1", &Promise{Ballot: r.bal, From: 0, Votes: votes})
	if !r.leading || r.next != 3 {
		t.Fatalf("leading %v, next slot %d; want leading from slot 3", r.leading, r.next)
	}
}

// A lost Accept costs about a round trip, not the fixed retry wait: the
// leader resends once a quorum should have answered by the round trips it
// measured.
func TestLostAcceptIsResentAfterARoundTrip(t *testing.T) {
	c := newNet(t, 3)
	for i := range 3 { // round trips measured
		c.Propose(0, put(1, uint64(i+1), "k", "warm"))
		c.Tick(0, 1)
	}
	lost := 0
	c.Drop = func(e paxi.Envelope) bool {
		if _, ok := e.Msg.(*Accept); ok && lost < 2 {
			lost++
			return true
		}
		return false
	}
	x := put(2, 1, "k", "x")
	c.Propose(0, x)
	if ticks := c.TicksUntilExecuted(0, x, c.Reps[0].p.RetryTicks); ticks > slotpaxos.MinRetransmitTicks+2 {
		t.Fatalf("a lost Accept cost %d ticks; the round trip is under one, the floor %d", ticks, slotpaxos.MinRetransmitTicks)
	}
}

// A follower whose catch-up answers from the leader are lost (an
// asymmetric link) catches up from another peer that reported a commit
// point past its own, without an election.
func TestCatchUpFromAPeerWhenTheLeadersAnswersAreLost(t *testing.T) {
	c := newNet(t, 3)
	c.Drop = func(e paxi.Envelope) bool {
		_, acc := e.Msg.(*Accept)
		_, ch := e.Msg.(*Chosen)
		return e.To == "1.3" && (acc || (ch && e.From == "1.1"))
	}
	var want []paxi.Command
	for i := range 3 {
		x := put(1, uint64(i+1), "k", fmt.Sprint(i))
		want = append(want, x)
		c.Propose(0, x)
	}
	for tick := 0; tick < 3*c.Reps[2].p.RetryTicks && len(c.Exec[2]) < len(want); tick++ {
		for i := range c.Reps {
			c.Tick(i, 1)
		}
	}
	if !slices.Equal(c.Exec[2], want) {
		t.Fatalf("1.3 executed %v, want %v", c.Exec[2], want)
	}
	if c.Reps[2].stats.campaigns != 0 {
		t.Fatalf("1.3 campaigned %d times; the leader was alive", c.Reps[2].stats.campaigns)
	}
}

// A candidate that learned slots chosen while its campaign ran, from a
// promiser that has forgotten them since (everyone executed them), gets
// promises reporting nothing there: it proposes the chosen values, not
// no-ops (swarm seeds 9593 and 9603 at N=3 panicked there).
func TestCandidateKeepsSlotsLearnedDuringItsCampaign(t *testing.T) {
	c := newNet(t, 3)
	r := c.Reps[2]
	r.campaign()
	var votes []Vote
	for s := range int64(3) {
		votes = append(votes, Vote{Slot: s, Ballot: paxi.NewBallot(0, "1.1"), Cmds: []paxi.Command{put(1, uint64(s+1), "k", "v")}, Committed: true})
	}
	r.Step("1.1", &Chosen{Votes: votes, Commit: 3})
	r.Ready()
	r.Step("1.1", &Promise{Ballot: r.bal, From: 0, Votes: []Vote{{Slot: 3, Ballot: paxi.NewBallot(0, "1.1"), Noop: true}}})
	if !r.leading || r.next != 4 {
		t.Fatalf("leading %v, next slot %d; want leading from slot 4", r.leading, r.next)
	}
	for s := range int64(3) {
		if e := r.log.At(s); e.Noop || !slices.Equal(e.Cmds, votes[s].Cmds) {
			t.Fatalf("slot %d holds %+v after the campaign, want the chosen %v", s, e.Slot, votes[s].Cmds)
		}
	}
}
