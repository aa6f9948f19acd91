package epaxos

import "fmt"

// The executor orders committed instances for execution. It knows nothing
// of commands or messages: the protocol tells it which instances committed
// with which (seq, deps), and it calls back, through the small applier
// interface, for each instance in execution order. That separation is what
// lets it be tested on synthetic graphs (executor_test.go).
//
// An instance executes once everything it transitively depends on is
// committed. Strongly connected components of the committed graph are found
// with Tarjan's algorithm, written iteratively (tarjan.go) so that a
// dependency chain of any length cannot overflow the stack; components
// execute in reverse topological order and, inside one, by (seq, row,
// instance). Every replica commits the same attributes, so every replica
// finds the same components and executes interfering commands in the same
// order, whatever order the commits arrived in.
//
// The executor never blocks and never spins. A search that meets an
// instance that is not committed yet stops, and leaves a trail for the
// retry: each instance on the search path waits on the one below it, the
// deepest waits on the uncommitted instance (or on an instance already
// known to be blocked), and every instance the search visited remembers the
// uncommitted instance that blocks it (blockedBy). A later search that meets
// an instance whose blocker is still uncommitted stops at once instead of
// walking the same blocked region again, so a stream of commits piling up
// behind one missing instance costs O(1) each. When an instance executes,
// the instances waiting on it are searched again; when an instance commits,
// it is searched itself. Work is proportional to what changed, never to all
// instances.

// applier receives instances in execution order.
type applier interface {
	apply(row int32, inst int64)
}

// vertex is the executor's view of one instance.
type vertex struct {
	row       int32
	committed bool
	executed  bool
	onStack   bool    // on the Tarjan stack of the current search
	listed    bool    // in executor.missing
	inst      int64   // instance number
	seq       int64   // committed seq
	deps      []int64 // committed deps (prefix per row, see conflicts.go)
	epoch     uint64  // search that last visited it; index and low are valid for that search only
	index     int32   // Tarjan discovery index (a search visits fewer than 2^31 vertices)
	low       int32   // Tarjan low-link
	// waitingOn is the vertex whose execution re-triggers a search from this
	// one; it is registered in waitingOn.waiters.
	waitingOn *vertex
	// blockedBy is an uncommitted vertex that this one transitively depends
	// on, found by an earlier search; while it stays uncommitted this vertex
	// cannot execute and searches stop at it.
	blockedBy *vertex
	waiters   []*vertex // vertices to search again when this one executes
}

func (v *vertex) String() string { return fmt.Sprintf("(%d,%d)", v.row, v.inst) }

// knownBlocked reports whether an earlier search proved v cannot execute
// yet: its blocker is still uncommitted, and a vertex that depends on an
// uncommitted one cannot execute.
func (v *vertex) knownBlocked() bool { return v.blockedBy != nil && !v.blockedBy.committed }

const chunkBits = 10 // vertices are allocated 1024 at a time

// vrow holds the vertices of one row in fixed-size chunks, so vertex
// pointers stay valid as the row grows. A chunk whose vertices have all
// executed is released (set to nil): nothing looks at or below
// executedUpTo again, and the executor would otherwise keep a vertex of
// every instance ever committed, a third of a long simulation's heap.
// Pointers still held into a released chunk (a stale blockedBy, a queued
// root) keep it alive and see executed vertices, which searches skip. A
// chunk above executedUpTo is nil until one of its vertices is asked for:
// a dependency may name an instance far past the others (bounds.go), and
// the vertices in between must not cost memory.
type vrow struct {
	chunks [][]vertex
	// executedUpTo is the highest k such that every (row, 0..k) executed;
	// searches skip everything at or below it.
	executedUpTo int64
	released     int // chunks[:released] are released
}

// executor holds the dependency graph of committed instances.
type executor struct {
	rows    []vrow
	out     applier
	pending []*vertex // roots to search, first in first out
	head    int       // next pending root
	epoch   uint64    // current search
	frames  []frame   // the DFS path of the current search
	stack   []*vertex // the Tarjan stack of the current search
	comp    []*vertex // scratch: the component being executed
	// missing lists uncommitted vertices that a search stopped at, oldest
	// first: the instances execution is waiting for. Entries that have
	// committed since are dropped when the list is read.
	missing []*vertex
	stats   execStats
}

// execStats are the executor's measurements.
type execStats struct {
	executed   int64 // instances executed
	components int64 // strongly connected components executed
	compMax    int64 // largest component
	blocked    int64 // searches stopped at an uncommitted instance
	searches   int64 // searches started
	maxDepth   int64 // deepest DFS path seen
	pending    int64 // committed but not executed
}

func newExecutor(n int, out applier) *executor {
	e := &executor{rows: make([]vrow, n), out: out}
	for q := range e.rows {
		e.rows[q].executedUpTo = -1
	}
	return e
}

// vertex returns the vertex of (row, inst), allocating its chunk if needed.
// The instance must not be in a released chunk.
func (e *executor) vertex(row int32, inst int64) *vertex {
	r := &e.rows[row]
	c := int(inst >> chunkBits)
	if c < r.released {
		panic(fmt.Sprintf("epaxos: executor: (%d,%d) asked for after its chunk was released (executed up to %d)", row, inst, r.executedUpTo))
	}
	chunk, fresh := chunkAt(&r.chunks, c, 1<<chunkBits)
	if fresh {
		base := int64(c) << chunkBits
		for k := range chunk {
			chunk[k].row, chunk[k].inst = row, base+int64(k)
		}
	}
	return &chunk[inst&(1<<chunkBits-1)]
}

// add records a commit without searching; commit and restore use it.
func (e *executor) add(row int32, inst, seq int64, deps []int64) *vertex {
	if len(deps) != len(e.rows) {
		panic(fmt.Sprintf("epaxos: executor: (%d,%d) committed with %d deps, want %d", row, inst, len(deps), len(e.rows)))
	}
	v := e.vertex(row, inst)
	if v.committed {
		panic(fmt.Sprintf("epaxos: executor: (%d,%d) committed twice", row, inst))
	}
	v.committed, v.seq, v.deps = true, seq, deps
	e.stats.pending++
	return v
}

// commit records that (row, inst) committed with (seq, deps) and executes
// whatever that makes executable.
func (e *executor) commit(row int32, inst, seq int64, deps []int64) {
	e.kick(e.add(row, inst, seq, deps))
	e.run()
}

// kick queues a search from v.
func (e *executor) kick(v *vertex) { e.pending = append(e.pending, v) }

// run searches from every queued root, including those queued by the
// executions it causes.
func (e *executor) run() {
	for e.head < len(e.pending) {
		v := e.pending[e.head]
		e.pending[e.head] = nil
		e.head++
		e.search(v)
	}
	e.pending, e.head = e.pending[:0], 0
}

// waitOn makes v be searched again when x executes.
func (e *executor) waitOn(v, x *vertex) {
	if v.waitingOn == x {
		return
	}
	v.waitingOn = x
	x.waiters = append(x.waiters, v)
}

// execute runs one component: sorted by (seq, row, instance), each vertex
// is marked executed and handed to the applier, and whoever waited on it is
// queued for another search.
func (e *executor) execute(comp []*vertex) {
	sortComponent(comp)
	e.stats.components++
	e.stats.compMax = max(e.stats.compMax, int64(len(comp)))
	for _, v := range comp {
		if v.executed || !v.committed {
			panic(fmt.Sprintf("epaxos: executor: executing %v (committed=%v executed=%v)", v, v.committed, v.executed))
		}
		v.executed = true
		v.blockedBy, v.waitingOn = nil, nil
		e.stats.executed++
		e.stats.pending--
		r := &e.rows[v.row]
		for e.isExecuted(v.row, r.executedUpTo+1) {
			r.executedUpTo++
		}
		for done := int((r.executedUpTo + 1) >> chunkBits); r.released < done; r.released++ {
			r.chunks[r.released] = nil
		}
		e.out.apply(v.row, v.inst)
		for _, w := range v.waiters {
			if w.waitingOn == v {
				w.waitingOn, w.blockedBy = nil, nil
				e.kick(w)
			}
		}
		v.waiters = nil
	}
}

// isExecuted reports whether (row, inst) executed, without allocating.
func (e *executor) isExecuted(row int32, inst int64) bool {
	r := &e.rows[row]
	if inst <= r.executedUpTo {
		return true
	}
	c := int(inst >> chunkBits)
	if c >= len(r.chunks) || r.chunks[c] == nil {
		return false // nothing in its chunk was asked for
	}
	return r.chunks[c][inst&(1<<chunkBits-1)].executed
}

// sortComponent orders a component by (seq, row, instance): insertion sort,
// because components are almost always tiny, with a fallback for big ones.
func sortComponent(c []*vertex) {
	less := func(a, b *vertex) bool {
		if a.seq != b.seq {
			return a.seq < b.seq
		}
		if a.row != b.row {
			return a.row < b.row
		}
		return a.inst < b.inst
	}
	if len(c) > 16 {
		sortVertices(c, less)
		return
	}
	for i := 1; i < len(c); i++ {
		for j := i; j > 0 && less(c[j], c[j-1]); j-- {
			c[j], c[j-1] = c[j-1], c[j]
		}
	}
}

// waitingFor returns the instances, not committed here, that execution is
// waiting for, in the order it first waited for them. Explicit-prepare
// recovery arms its timers on these.
func (e *executor) waitingFor() []*vertex {
	live := e.missing[:0]
	for _, v := range e.missing {
		if v.committed {
			v.listed = false
			continue
		}
		live = append(live, v)
	}
	clear(e.missing[len(live):])
	e.missing = live
	return live
}
