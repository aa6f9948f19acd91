package epaxos

import (
	"fmt"
	"slices"
	"testing"

	"github.com/agora-consensus/agora/paxi"
)

// permutations returns every ordering of 0..k-1.
func permutations(k int) [][]int {
	if k == 0 {
		return [][]int{{}}
	}
	var out [][]int
	for _, p := range permutations(k - 1) {
		for pos := 0; pos <= len(p); pos++ {
			q := slices.Insert(slices.Clone(p), pos, k-1)
			out = append(out, q)
		}
	}
	return out
}

// preAcceptAt makes replica i pre-accept a write of key by instance (row, 0)
// without anything else learning of it.
func preAcceptAt(c *cluster, i, row int, key string) {
	deps := make([]int64, len(c.ids))
	for q := range deps {
		deps[q] = -1
	}
	c.reps[i].Step(c.ids[row], &PreAccept{
		Ballot: paxi.NewBallot(0, c.ids[row]), Row: int32(row), Inst: 0,
		Deps: deps, Cmds: []paxi.Command{put(99, 1, key)},
	})
	c.process(i)
}

// commitAt makes replica i learn that instance (row, 0) committed.
func commitAt(c *cluster, i, row int, key string) {
	deps := make([]int64, len(c.ids))
	for q := range deps {
		deps[q] = -1
	}
	c.reps[i].Step(c.ids[row], &Commit{Row: int32(row), Inst: 0, Deps: deps, HasCmds: true, Cmds: []paxi.Command{put(99, 1, key)}})
	c.process(i)
}

type decision struct {
	fast, slow int64
	seq        int64
	deps       []int64
}

func (d decision) String() string {
	return fmt.Sprintf("fast=%d slow=%d seq=%d deps=%v", d.fast, d.slow, d.seq, d.deps)
}

// decideUnder builds a cluster, runs setup, lets replica 0 propose a write
// of "x", holds the PreAcceptReplies and delivers them in the given order.
func decideUnder(t *testing.T, n int, params string, setup func(c *cluster), order []int) decision {
	c := newCluster(t, n, params)
	setup(c)
	c.queue = nil // the setup's replies go nowhere
	c.hold = func(e paxi.Envelope) bool {
		_, ok := e.Msg.(*PreAcceptReply)
		return ok && e.To == c.ids[0]
	}
	c.propose(0, put(1, 1, "x"))
	c.settle()
	c.hold = nil
	if len(c.held) != len(order) {
		t.Fatalf("%d PreAcceptReplies held, want %d", len(c.held), len(order))
	}
	for _, k := range order {
		c.deliver(c.held[k])
	}
	s := c.reps[0].Counters()
	seq, deps, _ := c.reps[0].Attributes(c.ids[0], 0)
	return decision{fast: s.FastPaths, slow: s.SlowPaths, seq: seq, deps: deps}
}

func TestFastPathDecisionIgnoresReplyOrder(t *testing.T) {
	scenarios := []struct {
		name     string
		n        int
		params   string
		setup    func(c *cluster)
		wantFast bool
	}{
		{"n=7/no-conflict", 7, "", func(c *cluster) {}, true},
		{"n=7/one-acceptor-saw-a-conflict", 7, "", func(c *cluster) {
			preAcceptAt(c, 2, 5, "x")
		}, false},
		{"n=7/two-acceptors-saw-different-conflicts", 7, "", func(c *cluster) {
			preAcceptAt(c, 1, 5, "x")
			preAcceptAt(c, 3, 6, "x")
		}, false},
		{"n=7/dep-known-everywhere-but-uncommitted", 7, "", func(c *cluster) {
			for i := 0; i <= 4; i++ {
				preAcceptAt(c, i, 5, "x")
			}
		}, false},
		{"n=7/dep-known-everywhere-committed-at-one-acceptor", 7, "", func(c *cluster) {
			for i := 0; i <= 4; i++ {
				preAcceptAt(c, i, 5, "x")
			}
			commitAt(c, 3, 5, "x")
		}, true},
		{"n=7/basic/dep-known-everywhere-but-uncommitted", 7, `{"fast_quorum":"basic"}`, func(c *cluster) {
			for i := 0; i <= 6; i++ {
				preAcceptAt(c, i, 5, "x")
			}
		}, true},
		{"n=5/one-acceptor-saw-a-conflict", 5, "", func(c *cluster) {
			preAcceptAt(c, 2, 4, "x")
		}, false},
		{"n=5/non-thrifty/one-acceptor-saw-a-conflict", 5, `{"thrifty":false}`, func(c *cluster) {
			preAcceptAt(c, 2, 4, "x")
		}, false},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			c := newCluster(t, sc.n, sc.params)
			need := c.reps[0].q.fast
			k := need
			if !c.reps[0].params.Thrifty {
				k = sc.n - 1
			}
			// The decision is taken on the first need replies; every
			// order that delivers the same set first must give the same
			// decision and the same Accept attributes.
			bySet := map[string]decision{}
			sawWanted := false
			for _, order := range permutations(k) {
				d := decideUnder(t, sc.n, sc.params, sc.setup, order)
				if d.fast+d.slow != 1 {
					t.Fatalf("order %v: %v, want exactly one decision", order, d)
				}
				sawWanted = sawWanted || (d.fast == 1) == sc.wantFast
				set := slices.Sorted(slices.Values(order[:need]))
				key := fmt.Sprint(set)
				if prev, ok := bySet[key]; ok {
					if prev.String() != d.String() {
						t.Fatalf("replies %v first, in order %v: %v; in another order: %v", set, order, d, prev)
					}
					continue
				}
				bySet[key] = d
			}
			if !sawWanted {
				t.Fatalf("no order gave fast=%v: %v", sc.wantFast, bySet)
			}
			if c.reps[0].params.Thrifty {
				for _, d := range bySet {
					if (d.fast == 1) != sc.wantFast {
						t.Fatalf("decision %v, want fast=%v", d, sc.wantFast)
					}
				}
			}
		})
	}
}
