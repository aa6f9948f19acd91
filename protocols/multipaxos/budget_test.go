package multipaxos

import (
	"slices"
	"testing"

	"github.com/agora-consensus/agora/internal/prototest"
	"github.com/agora-consensus/agora/paxi"
)

// A candidate learns 17 MiB of votes from a promiser in Promise parts that
// each fit the frame, and proposes them all again.
func TestPromiseOfBigVotesComesInPartsThatFitTheFrame(t *testing.T) {
	c := newNet(t, 3)
	// Only 1.2 votes, and no vote reaches the leader: nothing is chosen.
	cmds := prototest.VotedOnceBigBatch(c, prototest.Is[*Accept], prototest.Is[*Accepted])
	c.Tick(2, 4*c.Reps[2].p.ElectionTicks)
	if !c.Reps[2].leading {
		t.Fatalf("1.3 did not become leader (ballot %s)", c.Reps[2].bal)
	}
	c.RequireUnderFrame()
	for i := 1; i < 3; i++ {
		c.RequireExecuted(i, cmds)
	}
}

// A promise in parts counts only with its last part, and a part taken
// already (a duplicate, or one of an earlier request) is ignored.
func TestPromisePartsCountOnlyWhenComplete(t *testing.T) {
	c := newNet(t, 3)
	r := c.Reps[2]
	r.campaign()
	r.Ready()
	b, from := r.bal, r.camp.from
	x := put(1, 1, "k", "x")
	part := &Promise{Ballot: b, From: from, Votes: []Vote{{Slot: 0, Ballot: paxi.NewBallot(0, "1.1"), Cmds: []paxi.Command{x}}}, Next: 1}
	asked := func() (n int) {
		for _, e := range r.Ready().Messages {
			if p, ok := e.Msg.(*Prepare); ok && e.To == "1.2" && p.Resume == 1 && p.Ballot == b {
				n++
			}
		}
		return n
	}
	r.Step("1.2", part)
	if r.leading || asked() != 1 {
		t.Fatalf("after a first part: leading %v; want not leading and one Prepare for the rest", r.leading)
	}
	r.Step("1.2", part)
	if r.leading || asked() != 0 {
		t.Fatal("a duplicate first part was taken again")
	}
	r.Step("1.2", &Promise{Ballot: b, From: from, Resume: 0, Next: 0})
	if r.leading {
		t.Fatal("a stale whole promise (Resume 0) was counted after its first part was taken")
	}
	r.Step("1.2", &Promise{Ballot: b, From: from, Resume: 1, Next: 0})
	if !r.leading {
		t.Fatal("the last part did not complete the promise")
	}
	if e := r.log.At(0); !slices.Equal(e.Cmds, []paxi.Command{x}) {
		t.Fatalf("slot 0 proposed %v, want the vote of the first part %v", e.Cmds, x)
	}
}

// 17 MiB of commands queued at the leader in one Ready, and 17 MiB more
// forwarded by a follower in one Ready, would each be one message over the
// transport's frame: an Accept and a Forward the transport drops forever.
func TestBatchOfBigCommandsFitsTheFrame(t *testing.T) {
	prototest.RequireBigBatchesExecuted(newNet(t, 3), true)
}

// A follower that missed 17 MiB of chosen slots catches up in Chosen
// replies that each fit the frame.
func TestCatchUpReplyOfBigCommandsFitsTheFrame(t *testing.T) {
	c := newNet(t, 3)
	c.RequireExecuted(2, prototest.CatchUpBigBatch(c, 3*c.Reps[0].p.RetryTicks, nil))
}
