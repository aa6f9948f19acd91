package mencius

import (
	"math"
	"slices"
	"testing"

	"github.com/agora-consensus/agora/internal/prototest"
	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/slotpaxos"
)

// With one replica proposing, the others skip their slots below its
// proposal, and every replica executes the command.
func TestIdleReplicasSkip(t *testing.T) {
	c := newNet(t, 3)
	x := put(1, 1, "k", "x")
	c.Propose(1, x) // 1.2 owns slot 1; slot 0 (1.1's) must be skipped
	for i := range 3 {
		if !slices.Equal(c.Exec[i], []paxi.Command{x}) {
			t.Errorf("%s executed %v, want %v", c.IDs[i], c.Exec[i], x)
		}
	}
	if r := c.Reps[0]; r.stats.skipped != 1 || r.nextOwn != 3 {
		t.Errorf("1.1 skipped %d slots, next own slot %d; want 1 and 3", r.stats.skipped, r.nextOwn)
	}
}

// A restarted owner never proposes again in a slot it proposed in or
// skipped, and executes what it had committed from its own records.
func TestRestartKeepsOwnSlotsUsed(t *testing.T) {
	c := newNet(t, 3)
	x, y := put(1, 1, "k", "x"), put(1, 2, "k", "y")
	c.Propose(0, x)                   // slot 0
	c.Propose(2, y)                   // slot 2; 1.2 skips slot 1
	c.Propose(1, put(1, 3, "k", "z")) // slot 4; 1.1 skips slot 3
	c.Down[0] = true
	c.Restart(0)
	c.Down[1], c.Down[2] = true, true // it executes from its own records
	c.Run()
	r := c.Reps[0]
	if len(c.Exec[0]) == 0 || c.Exec[0][0] != x {
		t.Fatalf("after the restart 1.1 executed %v, want %v first", c.Exec[0], x)
	}
	for s := int64(0); s < r.nextOwn; s += 3 {
		if s < r.log.End() && !r.log.At(s).Has {
			t.Errorf("own slot %d below next own slot %d holds nothing after the restart", s, r.nextOwn)
		}
	}
	if r.nextOwn < 3 {
		t.Errorf("next own slot %d after the restart; slot 0 was used", r.nextOwn)
	}
}

// A ballot no replica of the cluster could make is ignored.
func TestForeignBallotsAreIgnored(t *testing.T) {
	for _, b := range []paxi.Ballot{
		1<<48 | paxi.NewBallot(1, "1.3"),
		paxi.NewBallot(math.MaxUint32, "1.3"),
		paxi.NewBallot(5, "9.9"),
	} {
		c := newNet(t, 3)
		r := c.Reps[1]
		r.Step("1.3", &Prepare{Ballot: b, Owner: 0, From: 0, To: 3})
		r.Step("1.3", &Accept{Ballot: b, Slot: 0, Noop: true})
		r.Step("1.3", &Commit{Ballot: b, Slots: []int64{0}})
		rd := r.Ready()
		if len(rd.Persist) != 0 || len(rd.Messages) != 0 || r.topN != 0 {
			t.Errorf("ballot %#x: persisted %v, sent %v, highest ballot number %d", uint64(b), rd.Persist, rd.Messages, r.topN)
		}
	}
}

// Slot numbers and ranges far past the commit point cost nothing.
func TestFarSlotsAreRefused(t *testing.T) {
	c := newNet(t, 3)
	r := c.Reps[1]
	b := paxi.NewBallot(1, "1.3")
	for _, s := range []int64{slotpaxos.Window + 2, 1 << 40, math.MaxInt64 - 2, -3} {
		s -= (s%3 + 3) % 3 // a slot of 1.1
		r.Step("1.1", &Accept{Ballot: paxi.NewBallot(0, "1.1"), Slot: s, Cmds: []paxi.Command{put(1, 1, "k", "v")}})
		r.Step("1.1", &Skip{From: s, To: s + 3})
		r.Step("1.3", &Prepare{Ballot: b, Owner: 0, From: s, To: s + 3})
		r.Step("1.3", &Prepare{Ballot: b, Owner: 0, From: 0, To: s})
		r.Step("1.3", &Need{Slots: []int64{s}})
		r.Step("1.3", &slotpaxos.Chosen{Votes: []Vote{{Slot: s, Committed: true, Noop: true}}})
		r.Step("1.3", &Commit{Ballot: b, Slots: []int64{s}})
	}
	r.Ready()
	if r.log.Len() > 3*r.p.RevokeSpan {
		t.Fatalf("log grew to %d slots", r.log.Len())
	}
}

func TestParamsAreValidated(t *testing.T) {
	prototest.RequireParamsRejected(t, New,
		[2]string{`{"max_batch": 0}`, "max_batch"},
		[2]string{`{"revoke_span": -1}`, "revoke_span"},
		[2]string{`{"retry_tick": 5}`, "retry_tick"},
	)
}

// Every replica forgets the slots all have executed (each learns the
// others' progress from Accepted and Commit), and a replica restarted
// after that executes them again from its own records. What it learned
// last (the commit of the last command) it persists with its next record,
// or after ProgressTicks when none comes (Records): the ticks.
func TestRestartAfterEveryoneForgot(t *testing.T) {
	c := newNet(t, 3)
	var want []paxi.Command
	for i := range 9 {
		cmd := put(1, uint64(i+1), "k", string(rune('a'+i)))
		want = append(want, cmd)
		c.Propose(i%3, cmd)
	}
	c.TickAll(DefaultParams().ProgressTicks)
	for i, r := range c.Reps {
		if r.log.Base() == 0 || r.log.Base() > r.log.Executed {
			t.Fatalf("%s forgot below %d, executed %d", c.IDs[i], r.log.Base(), r.log.Executed)
		}
	}
	prototest.RequireReplaysAlone(t, c, 2, want)
}
