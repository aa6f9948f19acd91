package epaxos

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/agora-consensus/agora/paxi"
)

// dropFirst drops the first message of the named type (to any peer).
func dropFirst(c *cluster, name string) *int {
	dropped := new(int)
	c.drop = func(e paxi.Envelope) bool {
		if *dropped == 0 && paxi.MessageName(e.Msg) == name {
			*dropped = 1
			return true
		}
		return false
	}
	return dropped
}

// conflictingPair makes replicas 0 and 1 propose writes of the same key
// concurrently, which sends at least one of them through Accept.
func conflictingPair(c *cluster) []paxi.Command {
	a, b := put(1, 1, "x"), put(2, 1, "x")
	c.reps[0].Propose(paxi.Request{Command: a})
	c.reps[1].Propose(paxi.Request{Command: b})
	c.process(0)
	c.process(1)
	return []paxi.Command{a, b}
}

func TestSingleLostMessageIsRetransmitted(t *testing.T) {
	for _, name := range []string{"epaxos.PreAccept", "epaxos.PreAcceptReply", "epaxos.Accept", "epaxos.AcceptReply", "epaxos.Commit"} {
		for _, n := range []int{3, 5} {
			for _, ps := range paramSets {
				t.Run(fmt.Sprintf("%s/n=%d/%s", name, n, ps.name), func(t *testing.T) {
					c := newCluster(t, n, ps.json)
					dropped := dropFirst(c, name)
					all := conflictingPair(c)
					c.settle()
					c.tick(2000)
					if *dropped == 0 {
						t.Fatalf("no %s was sent", name)
					}
					c.requireExecutedEverywhere(c.live(), all)
					c.requireSameInterferingOrder(c.live())
				})
			}
		}
	}
}

func TestLostCommitToANonVoterIsResent(t *testing.T) {
	// In a thrifty N=5 cluster replica 4 is outside replica 0's fast
	// quorum, so only the Commit tells it about the instance.
	c := newCluster(t, 5, "")
	c.drop = func(e paxi.Envelope) bool {
		_, isCommit := e.Msg.(*Commit)
		return isCommit && e.To == c.ids[4] && c.reps[0].now < 10
	}
	cmd := put(1, 1, "solo")
	c.propose(0, cmd)
	c.settle()
	if len(c.executed[4]) != 0 {
		t.Fatalf("replica 4 executed without the Commit")
	}
	c.tick(1000)
	c.requireExecutedEverywhere(c.live(), []paxi.Command{cmd})
	if c.reps[0].Counters().CommitsResent == 0 {
		t.Fatal("the Commit was not resent")
	}
}

func TestRandomLossAndDuplicationEventuallyExecuteEverything(t *testing.T) {
	seed := testSeed(t)
	for _, n := range []int{3, 5} {
		for _, ps := range paramSets {
			t.Run(fmt.Sprintf("n=%d/%s", n, ps.name), func(t *testing.T) {
				rng := rand.New(rand.NewSource(seed))
				loss := rand.New(rand.NewSource(seed + 7))
				c := newCluster(t, n, ps.json)
				c.rng = rand.New(rand.NewSource(seed + 1))
				c.drop = func(paxi.Envelope) bool { return loss.Float64() < 0.1 }
				c.dup = func(paxi.Envelope) bool { return loss.Float64() < 0.1 }
				w := &workload{rng: rng, conflict: 0.3, writes: 0.7}
				var all []paxi.Command
				for round := 0; round < 30; round++ {
					for range 5 {
						i := rng.Intn(n)
						cmd := w.command(uint64(i + 1))
						all = append(all, cmd)
						c.propose(i, cmd)
					}
					c.tick(3)
				}
				for k := 0; k < 200; k++ {
					c.tick(50)
					done := true
					for i := range c.reps {
						done = done && len(c.executed[i]) == len(all)
					}
					if done {
						break
					}
				}
				c.requireExecutedEverywhere(c.live(), all)
				c.requireSameInterferingOrder(c.live())
			})
		}
	}
}

func TestThriftyLeaderAvoidsASilentPeer(t *testing.T) {
	c := newCluster(t, 3, "")
	c.crash(1) // replica 0's thrifty fast quorum is {0, 1}
	c.propose(0, put(1, 1, "a"))
	c.tick(c.reps[0].params.ThriftyFallbackTicks + 5)
	if c.reps[0].Status(c.ids[0], 0) < Committed {
		t.Fatal("first instance did not commit after the thrifty fallback")
	}
	timeouts := c.reps[0].Counters().Timeouts
	c.propose(0, put(1, 2, "b"))
	c.settle()
	if c.reps[0].Status(c.ids[0], 1) < Committed {
		t.Fatal("second instance waits for the silent peer again")
	}
	if got := c.reps[0].Counters().Timeouts; got != timeouts {
		t.Fatalf("%d more timeouts", got-timeouts)
	}
	// Once the peer is heard from again it is used again.
	c.restart(1)
	c.tick(c.reps[0].params.RetryTicks * 3)
	if c.reps[0].suspect != 0 {
		t.Fatalf("peers still suspected: %b", c.reps[0].suspect)
	}
}
