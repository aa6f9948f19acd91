package epaxos

import (
	"testing"

	"github.com/agora-consensus/agora/paxi"
)

func TestProposalsBetweenReadiesShareOneInstance(t *testing.T) {
	c := newCluster(t, 3, `{"max_batch":4}`)
	var all []paxi.Command
	for k := range 10 {
		all = append(all, put(1, uint64(k+1), "b"))
		c.reps[0].Propose(paxi.Request{Command: all[k]})
	}
	c.process(0) // one Ready: 10 commands, batches of at most 4
	if got := c.reps[0].Counters().Instances; got != 3 {
		t.Fatalf("%d instances for 10 commands with max_batch 4, want 3", got)
	}
	c.propose(0, put(1, 11, "b")) // a later Ready starts its own instance at once
	all = append(all, put(1, 11, "b"))
	if got := c.reps[0].Counters().Instances; got != 4 {
		t.Fatalf("%d instances, want 4", got)
	}
	c.settle()
	c.requireExecutedEverywhere(c.live(), all)
	// Commands of one leader on one key execute in proposal order.
	for i := range c.reps {
		for k, cmd := range c.executed[i] {
			if cmd.CommandID != uint64(k+1) {
				t.Fatalf("replica %d executed %v at position %d", i, cmd, k)
			}
		}
	}
}

func TestNoopInstanceExecutesNothing(t *testing.T) {
	c := newCluster(t, 3, "")
	deps := []int64{-1, -1, -1}
	c.reps[1].Step(c.ids[2], &Commit{Row: 2, Inst: 0, Deps: deps, HasCmds: true, Noop: true})
	c.process(1)
	if st := c.reps[1].Status(c.ids[2], 0); st != Executed {
		t.Fatalf("no-op is %v, want executed", st)
	}
	if len(c.executed[1]) != 0 {
		t.Fatalf("a no-op executed %v", c.executed[1])
	}
	// A write that depends on the no-op executes after it.
	c.propose(1, put(1, 1, "z"))
	c.settle()
	c.requireExecutedEverywhere([]int{0, 1}, []paxi.Command{put(1, 1, "z")})
}

func TestStatsAreReported(t *testing.T) {
	c := newCluster(t, 3, "")
	conflictingPair(c)
	c.settle()
	names := map[string]float64{}
	for _, s := range c.reps[0].Stats() {
		names[s.Name] = s.Value
	}
	for _, n := range []string{"epaxos_fast_path_total", "epaxos_slow_path_total", "epaxos_deps_per_instance_mean",
		"epaxos_scc_size_max", "epaxos_scc_size_mean", "epaxos_commit_to_execute_ticks_mean", "epaxos_pending_execution"} {
		if _, ok := names[n]; !ok {
			t.Errorf("stat %s missing", n)
		}
	}
	if names["epaxos_executed_commands_total"] != 2 {
		t.Errorf("executed commands %v, want 2", names["epaxos_executed_commands_total"])
	}
}

func TestWaitingForNamesTheMissingDependency(t *testing.T) {
	c := newCluster(t, 3, "")
	c.reps[1].Step(c.ids[0], &Commit{Row: 0, Inst: 1, Deps: []int64{0, -1, -1}, HasCmds: true, Cmds: []paxi.Command{put(1, 2, "k")}})
	c.process(1)
	got := c.reps[1].WaitingFor()
	if len(got) != 1 || got[0] != (InstanceID{Row: c.ids[0], Inst: 0}) {
		t.Fatalf("waiting for %v, want [(1.1, 0)]", got)
	}
	c.reps[1].Step(c.ids[0], &Commit{Row: 0, Inst: 0, Deps: []int64{-1, -1, -1}, HasCmds: true, Cmds: []paxi.Command{put(1, 1, "k")}})
	c.process(1)
	if got := c.reps[1].WaitingFor(); len(got) != 0 || len(c.executed[1]) != 2 {
		t.Fatalf("waiting for %v, executed %v", got, c.executed[1])
	}
}
