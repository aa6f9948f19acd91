package epaxos

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/agora-consensus/agora/paxi"
)

// #14 and #19 (efficient/epaxos): execution livelock under a stream of
// non-transitively conflicting commands. Batches of two writes on keys
// k(j) and k(j+1), from every replica, make A conflict with B and B with C
// while A and C share no key: each new instance joins the dependency
// cycle of the previous ones, and without a bound one strongly connected
// component grows with the stream and never executes. max_inflight bounds
// every row's share of a component; every command executes, and no
// component exceeds the bound.
func TestNoExecutionLivelockUnderNonTransitiveConflicts(t *testing.T) {
	seed := testSeed(t)
	const n, cap, keys = 3, 4, 4
	rng := rand.New(rand.NewSource(seed))
	c := newCluster(t, n, fmt.Sprintf(`{"max_inflight":%d,"max_batch":2}`, cap))
	c.rng = rand.New(rand.NewSource(seed + 1))
	var all []paxi.Command
	id := uint64(0)
	for len(all) < 1200 || len(c.queue) > 0 {
		if len(all) < 1200 && rng.Intn(2) == 0 {
			i := rng.Intn(n)
			j := rng.Intn(keys)
			id += 2
			a, b := put(uint64(i+1), id, fmt.Sprintf("k%d", j)), put(uint64(i+1), id+1, fmt.Sprintf("k%d", (j+1)%keys))
			all = append(all, a, b)
			c.propose(i, a, b)
		} else {
			c.deliverOne()
		}
	}
	c.settle()
	c.tick(300)
	c.requireExecutedEverywhere(c.live(), all)
	c.requireSameInterferingOrder(c.live())
	for _, r := range c.reps {
		if got := r.Counters().MaxComponent; got > cap*n {
			t.Fatalf("%s executed a component of %d instances, bound %d", r.id, got, cap*n)
		}
	}
	t.Logf("largest component %d instances", c.reps[0].Counters().MaxComponent)
}
