package epaxos

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"
)

// order records the instances an executor applies.
type order struct {
	got []ref
	pos map[ref]int
}

type ref struct {
	row  int32
	inst int64
}

func (o *order) apply(row int32, inst int64) {
	r := ref{row, inst}
	if _, dup := o.pos[r]; dup {
		panic(fmt.Sprintf("%v applied twice", r))
	}
	o.pos[r] = len(o.got)
	o.got = append(o.got, r)
}

func newOrder() *order { return &order{pos: map[ref]int{}} }

// synthetic is a random committed dependency graph with the prefix meaning
// of deps: deps[q] = k means every (q, 0..k).
type synthetic struct {
	rows, perRow int
	seq          map[ref]int64
	deps         map[ref][]int64
}

func newSynthetic(rng *rand.Rand, rows, perRow int, density float64) *synthetic {
	g := &synthetic{rows: rows, perRow: perRow, seq: map[ref]int64{}, deps: map[ref][]int64{}}
	for q := range rows {
		for i := range perRow {
			d := make([]int64, rows)
			for p := range d {
				d[p] = -1
				if rng.Float64() < density {
					d[p] = int64(rng.Intn(perRow))
				}
			}
			r := ref{int32(q), int64(i)}
			g.deps[r], g.seq[r] = d, int64(rng.Intn(5))
		}
	}
	return g
}

func (g *synthetic) all() []ref {
	var out []ref
	for q := range g.rows {
		for i := range g.perRow {
			out = append(out, ref{int32(q), int64(i)})
		}
	}
	return out
}

// reach computes, for every vertex, the set of vertices it reaches.
func (g *synthetic) reach() map[ref]map[ref]bool {
	out := map[ref]map[ref]bool{}
	for _, v := range g.all() {
		seen := map[ref]bool{}
		stack := []ref{v}
		for len(stack) > 0 {
			x := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for p, k := range g.deps[x] {
				for j := int64(0); j <= k; j++ {
					w := ref{int32(p), j}
					if w != x && !seen[w] {
						seen[w] = true
						stack = append(stack, w)
					}
				}
			}
		}
		out[v] = seen
	}
	return out
}

// checkOrder verifies an execution order against the graph: a vertex
// executes after everything it reaches that does not reach it back, and
// inside a strongly connected component by (seq, row, instance).
func (g *synthetic) checkOrder(t *testing.T, o *order, reach map[ref]map[ref]bool) {
	t.Helper()
	for _, u := range o.got {
		for w := range reach[u] {
			if w == u {
				continue
			}
			pu, pw := o.pos[u], o.pos[w]
			if _, ok := o.pos[w]; !ok {
				t.Fatalf("%v executed before its dependency %v", u, w)
			}
			if reach[w][u] {
				ku := [3]int64{g.seq[u], int64(u.row), u.inst}
				kw := [3]int64{g.seq[w], int64(w.row), w.inst}
				if (slices.Compare(ku[:], kw[:]) < 0) != (pu < pw) {
					t.Fatalf("%v (key %v) and %v (key %v) share a component but executed at %d and %d", u, ku, w, kw, pu, pw)
				}
			} else if pw > pu {
				t.Fatalf("%v executed at %d before its dependency %v at %d", u, pu, w, pw)
			}
		}
	}
}

func TestExecutorOnRandomGraphs(t *testing.T) {
	seed := testSeed(t)
	rng := rand.New(rand.NewSource(seed))
	for trial := range 200 {
		rows, perRow := 1+rng.Intn(5), 1+rng.Intn(20)
		density := []float64{0.05, 0.2, 0.5}[trial%3]
		g := newSynthetic(rng, rows, perRow, density)
		reach := g.reach()
		all := g.all()
		rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
		// Commit all but a few, check that exactly the vertices whose
		// whole reach is committed executed, then commit the rest.
		held := min(len(all), rng.Intn(4))
		o := newOrder()
		e := newExecutor(rows, o)
		committed := map[ref]bool{}
		for _, v := range all[held:] {
			committed[v] = true
			e.commit(v.row, v.inst, g.seq[v], g.deps[v])
		}
		for _, v := range g.all() {
			runnable := committed[v]
			for w := range reach[v] {
				runnable = runnable && committed[w]
			}
			if _, ran := o.pos[v]; ran != runnable {
				t.Fatalf("trial %d: %v executed=%v, but its dependencies committed=%v", trial, v, ran, runnable)
			}
		}
		for _, v := range all[:held] {
			e.commit(v.row, v.inst, g.seq[v], g.deps[v])
		}
		if len(o.got) != len(all) {
			t.Fatalf("trial %d: executed %d of %d (stats %+v)", trial, len(o.got), len(all), e.stats)
		}
		if e.stats.pending != 0 {
			t.Fatalf("trial %d: %d pending after everything executed", trial, e.stats.pending)
		}
		g.checkOrder(t, o, reach)
	}
}

// chainDeps is the deps of instance i of a single-row chain.
func chainDeps(i int64) []int64 { return []int64{i - 1} }

func TestMillionLongChainExecutesIteratively(t *testing.T) {
	n := int64(1_000_000)
	if testing.Short() {
		n = 100_000
	}
	// Everything is committed before the first search, and the search
	// starts at the top: the DFS path is the whole chain.
	o := newOrder()
	e := newExecutor(1, o)
	for i := int64(0); i < n; i++ {
		e.add(0, i, i, chainDeps(i))
	}
	e.kick(e.vertex(0, n-1))
	e.run()
	if int64(len(o.got)) != n {
		t.Fatalf("executed %d of %d", len(o.got), n)
	}
	for i, r := range o.got {
		if r.inst != int64(i) {
			t.Fatalf("position %d executed instance %d", i, r.inst)
		}
	}
	if e.stats.maxDepth < n {
		t.Fatalf("deepest search was %d, want the whole chain (%d): the test did not exercise depth", e.stats.maxDepth, n)
	}
}

func TestChainCommittedInReverseWaitsWithoutRework(t *testing.T) {
	n := int64(200_000)
	if testing.Short() {
		n = 20_000
	}
	// Two rows whose instances depend on each other alternately, committed
	// from the top down: every commit but the last is blocked, and each
	// blocked search must cost O(1), not a walk of everything above.
	o := newOrder()
	e := newExecutor(2, o)
	deps := func(row int32, i int64) []int64 {
		if row == 0 {
			return []int64{-1, i - 1}
		}
		return []int64{i, -1}
	}
	for i := n - 1; i >= 0; i-- {
		e.commit(1, i, 2*i+1, deps(1, i))
		e.commit(0, i, 2*i, deps(0, i))
	}
	if int64(len(o.got)) != 2*n {
		t.Fatalf("executed %d of %d", len(o.got), 2*n)
	}
	if e.stats.searches > 8*n {
		t.Fatalf("%d searches for %d instances", e.stats.searches, 2*n)
	}
	for k, r := range o.got {
		want := ref{int32(k % 2), int64(k / 2)}
		if r != want {
			t.Fatalf("position %d executed %v, want %v", k, r, want)
		}
	}
}

func TestExecutorBlockedRegionCostsConstantPerCommit(t *testing.T) {
	// A long run of commits piling up behind one missing instance: each
	// one depends on the previous and, through it, on the missing one.
	n := int64(100_000)
	o := newOrder()
	e := newExecutor(2, o)
	for i := int64(0); i < n; i++ {
		e.commit(0, i, i, []int64{i - 1, 0}) // (1,0) is missing
	}
	if len(o.got) != 0 {
		t.Fatalf("executed %d instances behind a missing dependency", len(o.got))
	}
	if w := e.waitingFor(); len(w) != 1 || w[0] != e.vertex(1, 0) {
		t.Fatalf("waiting for %v, want only (1,0)", w)
	}
	// Every search stopped at once at a known-blocked vertex.
	if e.stats.maxDepth > 2 {
		t.Fatalf("blocked searches went %d deep", e.stats.maxDepth)
	}
	e.commit(1, 0, 0, []int64{-1, -1})
	if int64(len(o.got)) != n+1 {
		t.Fatalf("executed %d of %d after the missing instance committed", len(o.got), n+1)
	}
	if w := e.waitingFor(); len(w) != 0 {
		t.Fatalf("still waiting for %v", w)
	}
}

func TestExecutorSkipsNoDependencyAndSelf(t *testing.T) {
	o := newOrder()
	e := newExecutor(2, o)
	// An instance that names itself (deps[row] >= inst) is not blocked by it.
	e.commit(0, 0, 1, []int64{0, -1})
	e.commit(1, 0, 1, []int64{-1, -1})
	if len(o.got) != 2 {
		t.Fatalf("executed %v", o.got)
	}
}

func TestExecutedChunksAreReleased(t *testing.T) {
	o := newOrder()
	e := newExecutor(1, o)
	for i := int64(0); i < 3000; i++ {
		e.commit(0, i, i, chainDeps(i))
	}
	r := &e.rows[0]
	if r.executedUpTo != 2999 || r.released != 2 || r.chunks[0] != nil || r.chunks[1] != nil || r.chunks[2] == nil {
		t.Fatalf("executed up to %d, released %d chunks", r.executedUpTo, r.released)
	}
	// Commits past the released chunks still execute, out of order too.
	e.commit(0, 3001, 3001, chainDeps(3001))
	e.commit(0, 3000, 3000, chainDeps(3000))
	if len(o.got) != 3002 || o.got[3001].inst != 3001 {
		t.Fatalf("executed %d instances", len(o.got))
	}
}

// Reviewer follow-up (recovery phase 1, conflicts.go attributes): a
// recoverer that had the instance indexed already computes deps that name
// the instance itself (deps[row] >= inst: a prefix that includes it). Such
// an instance must execute, once, and not wait on itself.
func TestSelfDependencyDoesNotBlockExecution(t *testing.T) {
	o := newOrder()
	e := newExecutor(2, o)
	e.add(0, 0, 0, []int64{0, -1}) // depends on itself
	e.add(1, 0, 1, []int64{1, 0})  // on (0,0..1): (0,1) and itself ...
	e.add(0, 1, 1, []int64{1, 0})  // ... and (0,1) on itself and (1,0)
	e.kick(e.vertex(1, 0))
	e.run()
	if len(o.got) != 3 {
		t.Fatalf("executed %v, want all three instances", o.got)
	}
	if o.pos[ref{0, 0}] > o.pos[ref{0, 1}] {
		t.Fatalf("executed %v: (0,0) is a dependency of (0,1) and must come first", o.got)
	}
}
