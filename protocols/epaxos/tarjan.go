package epaxos

import "slices"

// frame is one vertex on the DFS path with the position of its successor
// iterator: it walks row q from instance j down to the row's executed
// prefix. Walking each row downwards visits the highest dependency first,
// which usually covers the lower ones transitively, so they are found
// executed when the iterator reaches them.
type frame struct {
	v *vertex
	q int   // row being walked
	j int64 // next instance to look at in row q
}

// search runs Tarjan's algorithm from root over committed, unexecuted
// vertices, executing each component as it completes. It keeps its own DFS
// stack (frames), so its depth is bounded by memory, not by the goroutine
// stack. If it meets a vertex that cannot execute yet it stops and records
// why (see executor.go); components completed before that point stay
// executed, since everything they depend on was found committed.
func (e *executor) search(root *vertex) {
	if root.executed || !root.committed || root.knownBlocked() {
		return
	}
	e.stats.searches++
	e.epoch++
	var next int32
	e.push(root, &next)
	for len(e.frames) > 0 {
		f := &e.frames[len(e.frames)-1]
		v := f.v
		w, blocker := e.successor(f)
		if blocker != nil {
			e.abort(blocker)
			return
		}
		if w != nil {
			if w.epoch != e.epoch {
				e.push(w, &next)
			} else if w.onStack {
				v.low = min(v.low, w.index)
			}
			continue
		}
		// Every successor of v is done: close v.
		e.frames = e.frames[:len(e.frames)-1]
		if len(e.frames) > 0 {
			p := e.frames[len(e.frames)-1].v
			p.low = min(p.low, v.low)
		}
		if v.low == v.index {
			e.popComponent(v)
		}
	}
}

// push starts visiting v.
func (e *executor) push(v *vertex, next *int32) {
	v.epoch, v.index, v.low, v.onStack = e.epoch, *next, *next, true
	*next++
	e.stack = append(e.stack, v)
	q := 0
	e.frames = append(e.frames, frame{v: v, q: q, j: v.deps[q]})
	e.stats.maxDepth = max(e.stats.maxDepth, int64(len(e.frames)))
}

// successor advances f's iterator to the next unexecuted dependency of f.v.
// It returns that vertex, or a blocker when the dependency cannot execute
// yet (not committed, or known blocked from an earlier search), or neither
// when f.v has no dependencies left.
func (e *executor) successor(f *frame) (w, blocker *vertex) {
	v := f.v
	for f.q < len(e.rows) {
		r := &e.rows[f.q]
		for f.j > r.executedUpTo {
			x := e.vertex(int32(f.q), f.j)
			f.j--
			if x == v || x.executed {
				continue
			}
			if !x.committed {
				return nil, x
			}
			if x.epoch != e.epoch && x.knownBlocked() {
				return nil, x
			}
			return x, nil
		}
		f.q++
		if f.q < len(e.rows) {
			f.j = v.deps[f.q]
		}
	}
	return nil, nil
}

// popComponent pops the component rooted at v off the Tarjan stack and
// executes it.
func (e *executor) popComponent(v *vertex) {
	i := len(e.stack) - 1
	for e.stack[i] != v {
		i--
	}
	e.comp = append(e.comp[:0], e.stack[i:]...)
	for _, w := range e.comp {
		w.onStack = false
	}
	clear(e.stack[i:])
	e.stack = e.stack[:i]
	e.execute(e.comp)
	clear(e.comp)
}

// abort ends a search that met blocker. Each vertex on the DFS path waits
// on the next one, the deepest waits on blocker, and every visited vertex
// that did not execute remembers the uncommitted vertex behind blocker:
// each of them reaches blocker (the path vertices along the path, the others
// because Tarjan keeps a vertex on its stack only while it reaches a vertex
// on the path), so none can execute before that vertex commits.
func (e *executor) abort(blocker *vertex) {
	e.stats.blocked++
	leaf := blocker
	if blocker.committed {
		leaf = blocker.blockedBy
	}
	if !leaf.listed {
		leaf.listed = true
		e.missing = append(e.missing, leaf)
	}
	for k := 0; k+1 < len(e.frames); k++ {
		e.waitOn(e.frames[k].v, e.frames[k+1].v)
	}
	e.waitOn(e.frames[len(e.frames)-1].v, blocker)
	for _, w := range e.stack {
		w.onStack = false
		w.blockedBy = leaf
	}
	clear(e.frames)
	e.frames = e.frames[:0]
	clear(e.stack)
	e.stack = e.stack[:0]
}

// sortVertices sorts a large component.
func sortVertices(c []*vertex, less func(a, b *vertex) bool) {
	slices.SortFunc(c, func(a, b *vertex) int {
		switch {
		case less(a, b):
			return -1
		case less(b, a):
			return 1
		}
		return 0
	})
}
