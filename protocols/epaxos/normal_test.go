package epaxos

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/agora-consensus/agora/paxi"
)

// workload draws commands: with probability conflict a command uses the
// shared key "hot", otherwise a key of its own; a fraction writes are puts,
// the rest gets.
type workload struct {
	rng      *rand.Rand
	conflict float64
	writes   float64
	next     uint64
	// clientPerCommand gives every command a client of its own instead of
	// the proposing replica's.
	clientPerCommand bool
}

func (w *workload) command(client uint64) paxi.Command {
	w.next++
	if w.clientPerCommand {
		client = 1000 + w.next
	}
	key := fmt.Sprintf("k%d", w.next)
	if w.rng.Float64() < w.conflict {
		key = "hot"
	}
	if w.rng.Float64() < w.writes {
		return put(client, w.next, key)
	}
	return get(client, w.next, key)
}

// runInterleaved proposes total commands at random replicas among who,
// interleaving proposals with deliveries in a seeded order, then settles
// and ticks long enough for any retransmission.
func runInterleaved(c *cluster, rng *rand.Rand, who []int, w *workload, total int) []paxi.Command {
	var all []paxi.Command
	for len(all) < total || len(c.queue) > 0 {
		if len(all) < total && (len(c.queue) == 0 || rng.Intn(4) == 0) {
			i := who[rng.Intn(len(who))]
			cmd := w.command(uint64(i + 1))
			all = append(all, cmd)
			c.propose(i, cmd)
			continue
		}
		c.deliverOne()
	}
	c.settle()
	c.tick(400)
	return all
}

var paramSets = []struct{ name, json string }{
	{"optimized-thrifty", ""},
	{"basic-thrifty", `{"fast_quorum":"basic"}`},
	{"optimized-all", `{"thrifty":false}`},
	{"basic-all-reply-at-commit", `{"fast_quorum":"basic","thrifty":false,"reply_at_commit":true}`},
}

func TestEveryCommandExecutesEverywhereInTheSameOrder(t *testing.T) {
	seed := testSeed(t)
	for _, n := range []int{1, 3, 5, 7} {
		for _, ps := range paramSets {
			for _, order := range []string{"fifo", "permuted"} {
				t.Run(fmt.Sprintf("n=%d/%s/%s", n, ps.name, order), func(t *testing.T) {
					rng := rand.New(rand.NewSource(seed))
					c := newCluster(t, n, ps.json)
					if order == "permuted" {
						c.rng = rand.New(rand.NewSource(seed + 1))
					}
					w := &workload{rng: rng, conflict: 0.3, writes: 0.7}
					all := runInterleaved(c, rng, c.live(), w, 300)
					c.requireExecutedEverywhere(c.live(), all)
					c.requireSameInterferingOrder(c.live())
					// Gap resends (rto.go) rely on FIFO links: on a
					// permuted network an answer may overtake another
					// and cause a harmless resend, on FIFO links none.
					s := c.counters()
					if timed := s.Retransmits - s.GapResends; timed != 0 {
						t.Errorf("%d retransmissions on a timeout on a lossless network", timed)
					}
					if order == "fifo" && s.GapResends != 0 {
						t.Errorf("%d gap resends on lossless FIFO links", s.GapResends)
					}
				})
			}
		}
	}
}

func TestConflictingProposersExecuteInTheSameOrder(t *testing.T) {
	seed := testSeed(t)
	for k := range 20 {
		for _, n := range []int{3, 5} {
			rng := rand.New(rand.NewSource(seed + int64(k)))
			c := newCluster(t, n, "")
			c.rng = rand.New(rand.NewSource(seed + int64(k) + 1000))
			w := &workload{rng: rng, conflict: 1, writes: 0.8}
			all := runInterleaved(c, rng, c.live(), w, 200)
			c.requireExecutedEverywhere(c.live(), all)
			c.requireSameInterferingOrder(c.live())
			for i := range c.reps {
				if c.kvs[i].Len() != c.kvs[0].Len() {
					t.Fatalf("seed %d: replica %d has %d keys, replica 0 has %d", seed+int64(k), i, c.kvs[i].Len(), c.kvs[0].Len())
				}
				a, _ := c.kvs[i].Get("hot")
				b, _ := c.kvs[0].Get("hot")
				if a != b {
					t.Fatalf("seed %d: hot=%q at replica %d, %q at replica 0", seed+int64(k), a, i, b)
				}
			}
		}
	}
}

func TestMinorityCrashStillCommits(t *testing.T) {
	seed := testSeed(t)
	for _, n := range []int{3, 5, 7} {
		for _, ps := range paramSets {
			t.Run(fmt.Sprintf("n=%d/%s", n, ps.name), func(t *testing.T) {
				rng := rand.New(rand.NewSource(seed))
				c := newCluster(t, n, ps.json)
				f := (n - 1) / 2
				// Crash F replicas, among them the thrifty quorum of replica 0.
				for i := 1; i <= f; i++ {
					c.crash(i)
				}
				w := &workload{rng: rng, conflict: 0.3, writes: 0.7}
				all := runInterleaved(c, rng, c.live(), w, 100)
				c.tick(2000)
				c.requireExecutedEverywhere(c.live(), all)
				c.requireSameInterferingOrder(c.live())
			})
		}
	}
}

func TestMajorityCrashExecutesNothing(t *testing.T) {
	seed := testSeed(t)
	for _, n := range []int{3, 5, 7} {
		for _, ps := range paramSets {
			t.Run(fmt.Sprintf("n=%d/%s", n, ps.name), func(t *testing.T) {
				rng := rand.New(rand.NewSource(seed))
				c := newCluster(t, n, ps.json)
				f := (n - 1) / 2
				for i := 1; i <= f+1; i++ {
					c.crash(i)
				}
				w := &workload{rng: rng, conflict: 0.3, writes: 0.7}
				runInterleaved(c, rng, c.live(), w, 50)
				c.tick(2000)
				for _, i := range c.live() {
					if len(c.executed[i]) != 0 || len(c.replies[i]) != 0 {
						t.Fatalf("replica %s executed %d commands and replied %d times with only %d of %d replicas up",
							c.ids[i], len(c.executed[i]), len(c.replies[i]), n-f-1, n)
					}
				}
			})
		}
	}
}

func TestCommutingWorkloadsNeverSendAccept(t *testing.T) {
	seed := testSeed(t)
	for _, n := range []int{3, 5, 7} {
		for _, ps := range paramSets {
			for _, wl := range []string{"all-reads-one-key", "all-different-keys"} {
				t.Run(fmt.Sprintf("n=%d/%s/%s", n, ps.name, wl), func(t *testing.T) {
					rng := rand.New(rand.NewSource(seed))
					c := newCluster(t, n, ps.json)
					c.rng = rand.New(rand.NewSource(seed + 1))
					// One client per command: a client's own commands
					// interfere (conflicts.go), so they would not commute.
					w := &workload{rng: rng, conflict: 0, writes: 0.5, clientPerCommand: true}
					if wl == "all-reads-one-key" {
						w.conflict, w.writes = 1, 0
					}
					all := runInterleaved(c, rng, c.live(), w, 300)
					c.requireExecutedEverywhere(c.live(), all)
					s := c.counters()
					if s.AcceptsSent != 0 || s.SlowPaths != 0 || c.sent["epaxos.Accept"] != 0 {
						t.Fatalf("%d Accepts sent, %d slow paths, want none (fast paths %d)", s.AcceptsSent, s.SlowPaths, s.FastPaths)
					}
					if s.FastPaths != s.Instances {
						t.Fatalf("%d fast paths for %d instances", s.FastPaths, s.Instances)
					}
				})
			}
		}
	}
}

func TestReplyAtCommitAcknowledgesOnlyWrites(t *testing.T) {
	c := newCluster(t, 3, `{"reply_at_commit":true}`)
	// Hold every Commit so that nothing executes at the followers, and
	// check the leader replied to the writes at commit.
	c.propose(0, put(1, 1, "a"), get(1, 2, "a"), paxi.Command{Op: paxi.Delete, Key: "b", ClientID: 1, CommandID: 3})
	c.settle()
	var got []uint64
	for _, r := range c.replies[0] {
		got = append(got, r.CommandID)
	}
	if fmt.Sprint(got) != "[1 3]" {
		t.Fatalf("replies at commit for command ids %v, want [1 3] (the put and the delete)", got)
	}
	if len(c.replies[1]) != 0 || len(c.replies[2]) != 0 {
		t.Fatalf("followers replied: %v %v", c.replies[1], c.replies[2])
	}
}

func TestQuorumSizes(t *testing.T) {
	cases := []struct {
		n          int
		fastQuorum string
		fast, slow int
		needDeps   bool
	}{
		{3, "optimized", 1, 1, false},
		{5, "optimized", 2, 2, true},
		{7, "optimized", 4, 3, true},
		{3, "basic", 1, 1, false},
		{5, "basic", 3, 2, false},
		{7, "basic", 5, 3, false},
	}
	for _, tc := range cases {
		c := newCluster(t, tc.n, fmt.Sprintf(`{"fast_quorum":%q}`, tc.fastQuorum))
		q := c.reps[0].q
		if q.fast != tc.fast || q.slow != tc.slow || q.needCommittedDeps != tc.needDeps {
			t.Errorf("N=%d %s: fast %d slow %d committed-deps %v, want %d %d %v",
				tc.n, tc.fastQuorum, q.fast, q.slow, q.needCommittedDeps, tc.fast, tc.slow, tc.needDeps)
		}
		// The thrifty PreAccept goes to exactly the fast quorum minus the leader.
		c.propose(0, put(1, 1, "x"))
		if got := c.sent["epaxos.PreAccept"]; got != tc.fast {
			t.Errorf("N=%d %s: thrifty PreAccept to %d peers, want %d", tc.n, tc.fastQuorum, got, tc.fast)
		}
	}
}

func TestEvenClusterIsRejected(t *testing.T) {
	_, err := New(paxi.Env{ID: "1.1", Peers: ids(4)})
	if err == nil {
		t.Fatal("New accepted 4 replicas")
	}
}

// TestMaxInflightBoundsComponents drives a stream of conflicting commands
// from every replica, delivered in a random order, and checks that no
// strongly connected component holds more than max_inflight instances of
// each row, and that no replica ever had more own instances unexecuted.
func TestMaxInflightBoundsComponents(t *testing.T) {
	seed := testSeed(t)
	const n, cap = 3, 4
	rng := rand.New(rand.NewSource(seed))
	c := newCluster(t, n, fmt.Sprintf(`{"max_inflight":%d,"max_batch":1}`, cap))
	c.rng = rand.New(rand.NewSource(seed + 1))
	w := &workload{rng: rng, conflict: 1, writes: 1}
	var all []paxi.Command
	for len(all) < 600 || len(c.queue) > 0 {
		if len(all) < 600 && rng.Intn(2) == 0 {
			i := rng.Intn(n)
			cmd := w.command(uint64(i + 1))
			all = append(all, cmd)
			c.propose(i, cmd)
		} else {
			c.deliverOne()
		}
		for _, r := range c.reps {
			if r.ownUnexecuted > cap {
				t.Fatalf("%s has %d own instances unexecuted, cap %d", r.id, r.ownUnexecuted, cap)
			}
		}
	}
	c.settle()
	c.tick(300)
	c.requireExecutedEverywhere(c.live(), all)
	c.requireSameInterferingOrder(c.live())
	for _, r := range c.reps {
		got := r.Counters()
		if got.MaxComponent > cap*n {
			t.Fatalf("%s executed a component of %d instances, bound %d", r.id, got.MaxComponent, cap*n)
		}
		if got.Queued != 0 {
			t.Fatalf("%s still has %d proposals queued", r.id, got.Queued)
		}
	}
	t.Logf("largest component %d instances, throttled %d times at replica 0", c.reps[0].Counters().MaxComponent, c.reps[0].Counters().Throttled)
}
