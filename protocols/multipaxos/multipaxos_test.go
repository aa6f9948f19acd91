package multipaxos

import (
	"fmt"
	"slices"
	"testing"

	"github.com/agora-consensus/agora/internal/prototest"
	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/slotpaxos"
)

// A value that one acceptor accepted before the leader crashed, uncommitted,
// is the value the next leader proposes in that slot: phase 1 finds it.
func TestNewLeaderKeepsAnAcceptedValue(t *testing.T) {
	c := newNet(t, 3)
	// 1.3 never hears the Accept, and no Accepted reaches the leader.
	c.Drop = func(e paxi.Envelope) bool {
		_, acc := e.Msg.(*Accept)
		_, ok := e.Msg.(*Accepted)
		return (acc && e.To == "1.3") || ok
	}
	x := put(7, 1, "k", "x")
	c.Propose(0, x)
	if len(c.Exec[1]) != 0 || len(c.Exec[2]) != 0 {
		t.Fatalf("executed before anything was chosen: %v %v", c.Exec[1], c.Exec[2])
	}
	c.Down[0] = true
	c.Drop = nil
	c.Tick(2, 4*c.Reps[2].p.ElectionTicks)
	if !c.Reps[2].leading {
		t.Fatalf("1.3 did not become leader (ballot %s)", c.Reps[2].bal)
	}
	for i := 1; i < 3; i++ {
		if !slices.Equal(c.Exec[i], []paxi.Command{x}) {
			t.Errorf("%s executed %v, want only %v", c.IDs[i], c.Exec[i], x)
		}
	}
}

// A follower whose vote in a slot is from an older ballot than the leader's
// must not take the leader's commit point as the choice of its own value:
// another value may have been chosen there. It asks, and executes the
// chosen one.
func TestStaleVoteIsNotTakenAsChosen(t *testing.T) {
	c := newNet(t, 3)
	old := paxi.NewBallot(0, "1.1")
	stale, chosen := put(1, 1, "k", "stale"), put(2, 1, "k", "chosen")
	r := c.Start(2, []paxi.Message{&Vote{Slot: 0, Ballot: old, Cmds: []paxi.Command{stale}}}, nil)
	b := paxi.NewBallot(3, "1.2")
	r.Step("1.2", &Heartbeat{Ballot: b, Commit: 1})
	rd := r.Ready()
	if len(rd.Execute) != 0 {
		t.Fatalf("executed %v on a commit point of ballot %s over a vote of %s", rd.Execute, b, old)
	}
	var asked bool
	for _, e := range rd.Messages {
		if cu, ok := e.Msg.(*CatchUp); ok && e.To == "1.2" && cu.From == 0 {
			asked = true
		}
	}
	if !asked {
		t.Fatalf("no CatchUp from slot 0 to the leader; sent %v", rd.Messages)
	}
	r.Step("1.2", &Chosen{Votes: []Vote{{Slot: 0, Cmds: []paxi.Command{chosen}, Committed: true}}, Commit: 1})
	if rd := r.Ready(); !slices.Equal(rd.Execute, []paxi.Command{chosen}) {
		t.Fatalf("executed %v, want %v", rd.Execute, chosen)
	}
}

// A restarted replica keeps the highest promise and, per slot, the vote of
// the highest ballot, and it does not resume leading even if it led.
func TestRestoreKeepsPromiseAndVotes(t *testing.T) {
	c := newNet(t, 3)
	b1, b2 := paxi.NewBallot(1, "1.2"), paxi.NewBallot(2, "1.2")
	x, y, z := put(1, 1, "a", "x"), put(1, 2, "a", "y"), put(1, 3, "b", "z")
	r := c.Start(0, []paxi.Message{
		&Promised{Ballot: b2},
		&Vote{Slot: 0, Ballot: b1, Cmds: []paxi.Command{x}},
		&Vote{Slot: 0, Ballot: b2, Cmds: []paxi.Command{y}},
		&Vote{Slot: 1, Ballot: b1, Cmds: []paxi.Command{z}},
	}, nil)
	if r.bal != b2 || r.leading {
		t.Fatalf("ballot %s, leading %v; want %s, not leading", r.bal, r.leading, b2)
	}
	if !slices.Equal(r.log.At(0).Cmds, []paxi.Command{y}) || r.log.At(0).VBal != b2 || !slices.Equal(r.log.At(1).Cmds, []paxi.Command{z}) {
		t.Fatalf("log after restore: %+v %+v", *r.log.At(0), *r.log.At(1))
	}
	r.Step("1.2", &Accept{Ballot: b1, Slot: 2, Cmds: []paxi.Command{x}})
	rd := r.Ready()
	if len(rd.Persist) != 0 || len(rd.Messages) != 1 {
		t.Fatalf("an Accept below the promise: persisted %v, sent %v", rd.Persist, rd.Messages)
	}
	if rej, ok := rd.Messages[0].Msg.(*Reject); !ok || rej.Ballot != b2 {
		t.Fatalf("answered %T %+v, want a Reject naming %s", rd.Messages[0].Msg, rd.Messages[0].Msg, b2)
	}
}

// The first leader restarts as a follower; after an election everything
// it had committed is still executed, and new commands commit.
func TestLeaderRestartsAsFollower(t *testing.T) {
	c := newNet(t, 3)
	a, b := put(1, 1, "k", "a"), put(1, 2, "k", "b")
	c.Propose(0, a)
	c.Down[0] = true
	c.Restart(0)
	if c.Reps[0].leading {
		t.Fatal("a restarted leader leads without phase 1")
	}
	c.Tick(1, 4*c.Reps[1].p.ElectionTicks)
	if !c.Reps[1].leading {
		t.Fatal("1.2 did not become leader")
	}
	c.Propose(0, b)
	c.Tick(0, c.Reps[0].p.RetryTicks) // its catch-up and its forward
	for i := range 3 {
		if !slices.Equal(c.Exec[i], []paxi.Command{a, b}) {
			t.Errorf("%s executed %v, want %v", c.IDs[i], c.Exec[i], []paxi.Command{a, b})
		}
	}
}

// Slot numbers far past the commit point cost nothing: one message cannot
// make a replica allocate every slot below it.
func TestSlotsFarAheadAreRefused(t *testing.T) {
	c := newNet(t, 3)
	r := c.Reps[1]
	b0 := r.bal
	huge := []int64{slotpaxos.Window, 1 << 40, 1<<63 - 1}
	for _, s := range huge {
		r.Step("1.1", &Accept{Ballot: b0, Slot: s, Cmds: []paxi.Command{put(1, 1, "k", "v")}})
		r.Step("1.1", &Chosen{Votes: []Vote{{Slot: s, Committed: true}}, Commit: s + 1})
		r.Step("1.1", &CatchUp{From: s})
		r.Step("1.1", &Prepare{Ballot: paxi.NewBallot(9, "1.1"), From: s})
		r.Step("1.1", &Accepted{Ballot: b0, Slot: s})
	}
	r.campaign()
	from := r.camp.from
	for _, s := range huge {
		r.Step("1.3", &Promise{Ballot: r.bal, From: from, Votes: []Vote{{Slot: s, Ballot: b0}}})
	}
	r.Ready()
	if r.log.Len() > 0 {
		t.Fatalf("log grew to %d slots", r.log.Len())
	}
	if r.leading {
		t.Fatal("led on a promise it could not take in")
	}
}

func TestParamsAreValidated(t *testing.T) {
	prototest.RequireParamsRejected(t, New,
		[2]string{`{"max_batch": 0}`, "max_batch"},
		[2]string{`{"heartbeat_ticks": 60, "election_ticks": 60}`, "heartbeat_ticks"},
		[2]string{`{"retry_tick": 5}`, "retry_tick"},
	)
}

// Once every replica executed a slot, each forgets it; a replica that
// restarts after that executes everything again from its own records,
// without asking anyone.
func TestRestartAfterEveryoneForgot(t *testing.T) {
	c := newNet(t, 3)
	var want []paxi.Command
	for i := range 5 {
		cmd := put(1, uint64(i+1), "k", fmt.Sprint(i))
		want = append(want, cmd)
		c.Propose(i%3, cmd)
	}
	for i := range c.Reps {
		c.Tick(i, c.Reps[i].p.RetryTicks) // each reports what it executed
	}
	for i, r := range c.Reps {
		// Last, 1.3 heard 1.1 and 1.2 report all five, and they heard 1.3
		// only before its own ticks. One more round for them.
		if i < 2 {
			c.Tick(i, c.Reps[i].p.RetryTicks)
		}
		if r.log.Base() != 5 || r.log.Len() != 0 {
			t.Fatalf("%s: base %d and %d slots held; want slots 0-4 forgotten", c.IDs[i], r.log.Base(), r.log.Len())
		}
	}
	prototest.RequireReplaysAlone(t, c, 2, want)
}

// Followers forget as the leader does, without waiting for each other's
// periodic reports: the leader hears every follower's executed point in
// its Accepteds and passes on in its Heartbeats what each executed. Before,
// a follower learned the other follower's point only from its
// paxi.SlotProgress every 100 ms, and held all it executed meanwhile: at
// saturation 100 slots of 4,096 commands against the leader's 6, which
// each of its snapshots encoded again (docs/PERFORMANCE.md).
func TestFollowersForgetWithoutProgressReports(t *testing.T) {
	c := newNet(t, 3)
	const n = 200
	for i := range n {
		c.Propose(0, put(1, uint64(i+1), "k", fmt.Sprint(i))) // no tick: no report
	}
	for i, r := range c.Reps {
		if r.log.Executed != n {
			t.Fatalf("%s executed %d slots, want %d", c.IDs[i], r.log.Executed, n)
		}
		if r.log.Len() > 3 {
			t.Errorf("%s holds %d slots (base %d) after every replica executed %d", c.IDs[i], r.log.Len(), r.log.Base(), n)
		}
	}
}
