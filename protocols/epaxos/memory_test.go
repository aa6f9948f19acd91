package epaxos

import (
	"fmt"
	"runtime"
	"slices"
	"testing"

	"github.com/agora-consensus/agora/paxi"
)

// tick advances every replica of a benchNet by one tick and delivers
// everything that causes.
func (net *benchNet) tick() {
	for i, r := range net.reps {
		r.Tick()
		net.ready(i)
	}
	net.drain()
}

// heldInstances sums, over the replicas, the instances each still holds.
func (net *benchNet) heldInstances() int64 {
	var n int64
	for _, r := range net.reps {
		n += r.rows.held()
	}
	return n
}

// runBoundedLoad has every replica propose batch puts per round over keys
// keys for rounds rounds, ticking once per round, and returns the heap in
// use (after a collection) and the instances held at the end.
func runBoundedLoad(t testing.TB, net *benchNet, rounds, batch, keys int) (heap uint64, held int64) {
	var id uint64
	for range rounds {
		for i, r := range net.reps {
			for range batch {
				id++
				key := fmt.Sprintf("k%d", id%uint64(keys))
				r.Propose(paxi.Request{Command: paxi.Command{Op: paxi.Put, Key: key, Value: "value", ClientID: uint64(i + 1), CommandID: id}})
			}
			net.ready(i)
		}
		net.drain()
		net.tick()
	}
	for i, got := range net.executed {
		if want := rounds * batch * len(net.reps); got != want {
			t.Fatalf("replica %d executed %d of %d commands", i, got, want)
		}
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc, net.heldInstances()
}

// TestMemoryStaysBoundedWithEveryReplicaUp runs 120,000 commands, one per
// instance, through three replicas and requires the instances they hold to
// stay a few thousand: executed instances every peer has committed are
// forgotten. It logs the heap, so before/after figures can be compared:
// go test ./protocols/epaxos/ -run MemoryStaysBounded -v
func TestMemoryStaysBoundedWithEveryReplicaUp(t *testing.T) {
	const rounds, batch, keys = 40_000, 1, 1000
	net := newBenchNet(t, 3, "")
	heap, held := runBoundedLoad(t, net, rounds, batch, keys)
	t.Logf("%d commands, %d instances: heap %.1f MB, %d instances held by 3 replicas",
		rounds*batch*3, rounds*3, float64(heap)/(1<<20), held)
	if held > 4000 {
		t.Fatalf("3 replicas hold %d instances after %d commands, want at most 4000", held, rounds*batch*3)
	}
}

// TestDownPeerKeepsInstancesUntilItCatchesUp crashes a replica while the
// others commit 20,000 instances: they must keep every instance it has not
// reported committed, so that it can catch up when it restarts, and forget
// them once it has.
func TestDownPeerKeepsInstancesUntilItCatchesUp(t *testing.T) {
	const total = 20_000
	c := newCluster(t, 3, "")
	c.codec = false
	var all []paxi.Command
	load := func(from, to int, who []int) {
		all = append(all, c.proposeInTurn(from, to, who, 100)...)
		c.tick(3 * c.reps[0].params.RetryTicks)
	}
	load(0, 1000, []int{0, 1, 2})
	c.crash(1)
	var before [][]int64 // per replica, per row: the forgotten prefix at the crash
	for _, r := range c.reps {
		before = append(before, forgottenPrefixes(r))
	}
	load(1000, total, []int{0, 2})
	for _, i := range []int{0, 2} {
		r := c.reps[i]
		if got := forgottenPrefixes(r); !slices.Equal(got, before[i]) {
			t.Fatalf("replica %s forgot instances up to %v with a peer down since they were forgotten up to %v", c.ids[i], got, before[i])
		}
		if held := r.Counters().HeldInstances; held < total-2000 {
			t.Fatalf("replica %s holds %d instances with a peer down since instance 1000 of %d", c.ids[i], held, total)
		}
	}
	c.restart(1)
	load(total, total+1000, []int{0, 1, 2})
	c.requireExecutedEverywhere([]int{0, 1, 2}, all)
	c.requireSameInterferingOrder([]int{0, 1, 2})
	// The restarted replica reports its prefix once it has caught up; its
	// peers forget at their next progress round.
	c.tick(3 * c.reps[0].params.RetryTicks)
	for i, r := range c.reps {
		if held := r.Counters().HeldInstances; held > 2000 {
			t.Fatalf("replica %s holds %d instances after its peers caught up, want at most 2000", c.ids[i], held)
		}
	}
}

// forgottenPrefixes lists, per row, how many instances r has forgotten.
func forgottenPrefixes(r *Replica) []int64 {
	out := make([]int64, len(r.rows))
	for q := range r.rows {
		out[q] = r.rows[q].forgotten
	}
	return out
}

// TestLateCopiesOfForgottenInstancesAreIgnored keeps a copy of some
// PreAccepts, Accepts, Commits and CommitRequests, delivers them again
// once every replica has forgotten their instances, and requires them to
// change nothing: no vote, no record, no execution.
func TestLateCopiesOfForgottenInstancesAreIgnored(t *testing.T) {
	c := newCluster(t, 3, "")
	c.codec = false
	var late []paxi.Envelope
	seen := 0
	c.hold = func(e paxi.Envelope) bool {
		switch e.Msg.(type) {
		case *PreAccept, *Accept, *Commit:
			if seen++; seen%7 == 0 {
				late = append(late, e)
			}
		}
		return false
	}
	all := c.proposeInTurn(0, 3000, []int{0, 1, 2}, 5)
	c.tick(5 * c.reps[0].params.RetryTicks)
	c.hold = nil
	for i, r := range c.reps {
		if held := r.Counters().HeldInstances; held > 1000 {
			t.Fatalf("replica %s holds %d instances, want most of 3000 forgotten", c.ids[i], held)
		}
	}
	records := make([]int, len(c.reps))
	for i := range c.reps {
		records[i] = len(c.disk[i])
	}
	for _, e := range late {
		c.queue = append(c.queue, e)
	}
	c.queue = append(c.queue, paxi.Envelope{From: c.ids[1], To: c.ids[0], Msg: &CommitRequest{Row: 0, From: 0, To: 100}})
	c.settle()
	c.tick(3 * c.reps[0].params.RetryTicks)
	for i := range c.reps {
		if got := len(c.disk[i]); got != records[i] {
			t.Fatalf("replica %s persisted %d records after late copies of %d messages", c.ids[i], got-records[i], len(late))
		}
	}
	if got := c.sent["epaxos.Commits"]; got != 0 {
		t.Fatalf("%d Commits sent in answer to a late CommitRequest", got)
	}
	c.requireExecutedEverywhere([]int{0, 1, 2}, all)
	c.requireSameInterferingOrder([]int{0, 1, 2})
}

// proposeInTurn has the replicas in who take turns proposing puts number
// from to to-1 over keys keys, one instance each, ticking every ten, and
// returns the commands.
func (c *cluster) proposeInTurn(from, to int, who []int, keys int) []paxi.Command {
	var out []paxi.Command
	for k := from; k < to; k++ {
		i := who[k%len(who)]
		cmd := put(uint64(i+1), uint64(k), fmt.Sprintf("k%d", k%keys))
		out = append(out, cmd)
		c.propose(i, cmd)
		if k%10 == 0 {
			c.tick(1)
		}
	}
	return out
}
