package epaxos

import (
	"math/rand"
	"slices"
	"testing"

	"github.com/agora-consensus/agora/paxi"
)

func TestRestartReexecutesCommittedCommands(t *testing.T) {
	seed := testSeed(t)
	rng := rand.New(rand.NewSource(seed))
	c := newCluster(t, 3, "")
	c.rng = rand.New(rand.NewSource(seed + 1))
	w := &workload{rng: rng, conflict: 0.5, writes: 0.7}
	all := runInterleaved(c, rng, c.live(), w, 200)
	c.requireExecutedEverywhere(c.live(), all)
	before := c.reps[1].Counters()

	c.crash(1)
	c.restart(1)
	// The restarted replica's first Ready re-executed everything.
	c.requireExecutedEverywhere([]int{0, 1, 2}, all)
	c.requireSameInterferingOrder([]int{0, 1, 2})
	for _, cmd := range all {
		a, _ := c.kvs[0].Get(cmd.Key)
		b, _ := c.kvs[1].Get(cmd.Key)
		if a != b {
			t.Fatalf("after restart %q=%q, other replicas have %q", cmd.Key, b, a)
		}
	}
	after := c.reps[1].Counters()
	if after.Executed != before.Executed {
		t.Fatalf("restarted replica executed %d instances, had executed %d", after.Executed, before.Executed)
	}
	if got, want := c.reps[1].NextInstance(), c.reps[1].rows.get(1, 0); want != nil && got == 0 {
		t.Fatalf("restarted replica would reuse own instance numbers")
	}
	// And it keeps working.
	more := []paxi.Command{put(7, 1, "after"), get(7, 2, "after")}
	c.propose(1, more...)
	c.settle()
	c.tick(300)
	c.requireExecutedEverywhere([]int{0, 2}, append(slices.Clone(all), more...))
}

func TestRestartKeepsVotes(t *testing.T) {
	c := newCluster(t, 3, "")
	// Replica 1 pre-accepts (2,0) after having seen a conflicting (0,0), so
	// its vote is not the leader's attributes.
	preAcceptAt(c, 1, 0, "x")
	preAcceptAt(c, 1, 2, "x")
	c.queue = nil
	seq, deps, _ := c.reps[1].Attributes(c.ids[2], 0)
	bal, vbal := c.reps[1].Ballots(c.ids[2], 0)

	c.crash(1)
	c.restart(1)
	if st := c.reps[1].Status(c.ids[2], 0); st != PreAccepted {
		t.Fatalf("after restart (2,0) is %v, want preaccepted", st)
	}
	seq2, deps2, _ := c.reps[1].Attributes(c.ids[2], 0)
	bal2, vbal2 := c.reps[1].Ballots(c.ids[2], 0)
	if seq2 != seq || !slices.Equal(deps2, deps) || bal2 != bal || vbal2 != vbal {
		t.Fatalf("after restart seq=%d deps=%v bal=%v vbal=%v, before seq=%d deps=%v bal=%v vbal=%v",
			seq2, deps2, bal2, vbal2, seq, deps, bal, vbal)
	}
	// A repeated PreAccept is answered with the same vote, not a new one.
	c.queue = nil
	preAcceptAt(c, 1, 2, "x")
	if len(c.queue) != 1 {
		t.Fatalf("%d messages in answer to a repeated PreAccept", len(c.queue))
	}
	r, ok := c.queue[0].Msg.(*PreAcceptReply)
	if !ok || !r.OK || r.Seq != seq || !slices.Equal(r.Deps, deps) || r.Unchanged {
		t.Fatalf("repeated PreAccept answered with %+v, want the vote seq=%d deps=%v changed", c.queue[0].Msg, seq, deps)
	}

	// An accept vote in a higher ballot survives a restart too, with bal and
	// vbal, and lower ballots are then refused.
	c.queue = nil
	high := paxi.NewBallot(3, c.ids[0])
	c.reps[1].Step(c.ids[0], &Accept{Ballot: high, Row: 2, Inst: 0, Seq: 5, Deps: []int64{0, -1, -1}})
	c.process(1)
	c.crash(1)
	c.restart(1)
	bal3, vbal3 := c.reps[1].Ballots(c.ids[2], 0)
	if st := c.reps[1].Status(c.ids[2], 0); st != Accepted || bal3 != high || vbal3 != high {
		t.Fatalf("after restart (2,0) is %v bal=%v vbal=%v, want accepted in %v", st, bal3, vbal3, high)
	}
	c.queue = nil
	preAcceptAt(c, 1, 2, "x")
	if r, ok := c.queue[0].Msg.(*PreAcceptReply); !ok || r.OK || r.Ballot != high {
		t.Fatalf("PreAccept in a lower ballot answered with %+v, want a refusal naming %v", c.queue[0].Msg, high)
	}
}

func TestLeaderRestartFinishesItsInstances(t *testing.T) {
	for _, phase := range []string{"epaxos.PreAcceptReply", "epaxos.AcceptReply"} {
		t.Run(phase, func(t *testing.T) {
			c := newCluster(t, 3, "")
			// Replica 0 never hears the answers before it crashes.
			c.hold = func(e paxi.Envelope) bool { return e.To == c.ids[0] && paxi.MessageName(e.Msg) == phase }
			var all []paxi.Command
			if phase == "epaxos.AcceptReply" {
				all = conflictingPair(c)
			} else {
				all = []paxi.Command{put(1, 1, "x")}
				c.propose(0, all...)
			}
			c.settle()
			if len(c.held) == 0 {
				t.Fatalf("no %s was sent to replica 0", phase)
			}
			if st := c.reps[0].Status(c.ids[0], 0); st >= Committed {
				t.Fatalf("(0,0) is %v before the crash", st)
			}
			c.crash(0)
			c.hold, c.held = nil, nil
			c.restart(0)
			c.settle()
			c.tick(300)
			c.requireExecutedEverywhere([]int{0, 1, 2}, all)
			c.requireSameInterferingOrder([]int{0, 1, 2})
		})
	}
}

func TestRestartedReplicaCatchesUp(t *testing.T) {
	seed := testSeed(t)
	rng := rand.New(rand.NewSource(seed))
	c := newCluster(t, 5, "")
	w := &workload{rng: rng, conflict: 0.3, writes: 0.7}
	first := runInterleaved(c, rng, c.live(), w, 50)
	c.crash(4)
	second := runInterleaved(c, rng, []int{0, 1, 2, 3}, w, 100)
	c.restart(4)
	c.tick(3000)
	c.requireExecutedEverywhere(c.live(), append(first, second...))
	c.requireSameInterferingOrder(c.live())
}
