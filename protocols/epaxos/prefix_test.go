package epaxos

import (
	"testing"

	"github.com/agora-consensus/agora/paxi"
)

// deps[q] = k stands for every instance (q, 0..k): the optimized fast
// path's guard (decide) must know that whole prefix committed, not only
// (q, k). Here (3,1) writes x and is committed at the leader and its fast
// quorum, while (3,0) is not committed anywhere: a write of x depends on
// both, so it must take the slow path.
func TestFastPathGuardWantsTheCommittedPrefix(t *testing.T) {
	c := newCluster(t, 5, "")
	deps := []int64{-1, -1, -1, -1, -1}
	for _, i := range []int{0, 1, 2} {
		c.reps[i].Step(c.ids[3], &PreAccept{Ballot: paxi.NewBallot(0, c.ids[3]), Row: 3, Inst: 0, Deps: deps, Cmds: []paxi.Command{put(99, 1, "y")}})
		c.reps[i].Step(c.ids[3], &Commit{Row: 3, Inst: 1, Deps: deps, HasCmds: true, Cmds: []paxi.Command{put(99, 2, "x")}})
		c.process(i)
	}
	c.queue = nil
	c.propose(0, put(1, 1, "x"))
	c.settle()
	s := c.reps[0].Counters()
	if s.FastPaths != 0 || s.SlowPaths != 1 {
		t.Fatalf("fast %d slow %d: want the slow path, (3,0) in the dependency prefix is not committed", s.FastPaths, s.SlowPaths)
	}
}
