package epaxos

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/agora-consensus/agora/internal/longtest"
	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/sim"
)

// TestRestartedReplicaCatchesUpInTheSimulator crashes a replica while the
// others keep committing tens of thousands of instances, restarts it, and
// requires it to execute everything the others executed within a few
// seconds of virtual time (the liveness check). The replica's clients are
// quiesced before the crash, so no instance it leads is left undecided:
// that would need explicit prepare, which is not implemented yet. Five
// replicas take three times as long as three (23 s of the default run), so
// they run with AGORA_LONG=1, in CI's long step.
func TestRestartedReplicaCatchesUpInTheSimulator(t *testing.T) {
	seed := testSeed(t)
	for _, n := range []int{3, 5} {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			if n == 5 {
				longtest.Skip(t)
			}
			victim := paxi.ID("2.1")
			res := runSim(t, sim.Config{
				N: n, Seed: seed, Latency: sim.LAN(n), Duration: 4 * time.Second,
				Workload: sim.Workload{Clients: 4, Keys: 5, Conflict: 0.3},
				Schedule: []sim.Action{
					{At: 1000 * time.Millisecond, StopClients: victim},
					{At: 1100 * time.Millisecond, Crash: victim},
					{At: 3000 * time.Millisecond, Restart: victim},
					{At: 3000 * time.Millisecond, StartClients: victim},
				},
				Check: sim.Checks{Liveness: 3 * time.Second},
			})
			t.Logf("completed %d commands", res.All.Count)
		})
	}
}

// TestRestartedReplicaLearnsWhatItMissedInAnIdleCluster restarts a replica
// after the cluster has gone quiet: no new commit or progress report is on
// its way, so the restarted replica has to ask.
func TestRestartedReplicaLearnsWhatItMissedInAnIdleCluster(t *testing.T) {
	c := newCluster(t, 3, "")
	c.crash(1)
	var all []paxi.Command
	for k := range 3000 {
		i := []int{0, 2}[k%2]
		cmd := put(uint64(i+1), uint64(k), fmt.Sprintf("k%d", k%7))
		all = append(all, cmd)
		c.propose(i, cmd)
		if k%50 == 0 {
			c.tick(1)
		}
	}
	c.settle()
	c.tick(10 * c.reps[0].params.RetryTicks) // every report and resend is over
	c.restart(1)
	retry := c.reps[1].params.RetryTicks
	for k := 0; k < 6*retry && len(c.executed[1]) < len(all); k++ {
		c.tick(1)
	}
	c.requireExecutedEverywhere([]int{0, 1, 2}, all)
	c.requireSameInterferingOrder([]int{0, 1, 2})
}

// TestCatchUpDoesNotAddMessagesWhenNothingIsMissed checks the cost in the
// normal case: without faults no replica asks for commits.
func TestCatchUpDoesNotAddMessagesWhenNothingIsMissed(t *testing.T) {
	c := newCluster(t, 3, "")
	for k := range 300 {
		c.propose(k%3, put(uint64(k%3+1), uint64(k), "x"))
		c.tick(1)
	}
	c.tick(5 * c.reps[0].params.RetryTicks)
	if got := c.sent["epaxos.CommitRequest"]; got != 0 {
		t.Fatalf("%d CommitRequests without a fault", got)
	}
	if got := c.counters().CommitsResent; got != 0 {
		t.Fatalf("%d Commits resent without a fault", got)
	}
}

func TestCatchUpMessagesRoundTripThroughTheCodec(t *testing.T) {
	deps := []int64{-1, 3, 1 << 40}
	msgs := []paxi.Message{
		&Progress{UpTo: deps, Ask: true},
		&CommitRequest{Row: 2, From: 5, To: 1 << 35},
		&Commits{Row: 1, Entries: []Commit{
			{Row: 1, Inst: 7, Seq: 2, Deps: deps, HasCmds: true, Cmds: []paxi.Command{put(1, 2, "k")}},
			{Row: 1, Inst: 9, Seq: 3, Deps: deps, HasCmds: true, Noop: true},
		}},
	}
	for _, m := range msgs {
		got, err := codec(m)
		if err != nil {
			t.Fatalf("%T: %v", m, err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Fatalf("%T round trip:\n got %+v\nwant %+v", m, got, m)
		}
	}
}
