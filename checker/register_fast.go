package checker

import (
	"math"
	"slices"
	"sort"
)

// This file decides register histories in which every get can be mapped to
// the one write it read, which is the case when written values are unique.
// It follows the zone characterisation of Gibbons and Korach ("Testing
// shared memories", SIAM J. Comput. 1997), also used by the O(n log n)
// checkers of Horn and Kroening and of arXiv 2410.04581:
//
// A write and the gets that read it form a cluster. Let f be the earliest
// return and s the latest call among the cluster's operations. If f < s the
// operation returning at f precedes the one called at s, so the cluster's
// value must be the register's value during all of [f, s]: a forward zone.
// Otherwise every operation of the cluster is running during [s, f]: a
// backward zone. With every get mapped, the history is linearizable if and
// only if every get returns after its write was called, no two forward zones
// overlap, and no backward zone lies inside another cluster's forward zone.
//
// Time comparisons follow the closed-interval convention of the rest of the
// package: a precedes b exactly when a.ret < b.call.

// initialCluster stands for the register's initial value, as if written by
// an operation that precedes everything.
const initialCluster = -1

// zone is one cluster's zone.
type zone struct {
	f, s       int64 // earliest return and latest call in the cluster
	fOp, sOp   int32 // the operations (indices into ops) defining f and s; -1 for the initial write
	write      int32 // the cluster's write, or initialCluster
	forward    bool
	hasMembers bool
}

// zoneViolation says why checkZones failed: a get returned before the write
// it read was called (read >= 0), or zone a conflicts with zone b (a forward
// zone overlapping b, or containing b when b is backward).
type zoneViolation struct {
	read int32
	a, b zone
}

// ops lists a small set of indices into the checked operations that is not
// linearizable on its own: enough to rebuild the conflict in a sub-history.
func (v *zoneViolation) ops() []int32 {
	if v.read >= 0 {
		return []int32{v.a.write, v.read}
	}
	var out []int32
	for _, i := range []int32{v.a.write, v.a.fOp, v.a.sOp, v.b.write, v.b.fOp, v.b.sOp} {
		if i >= 0 && !slices.Contains(out, i) {
			out = append(out, i)
		}
	}
	return out
}

// checkZones decides ops, where from[i] names, for each get i, the index of
// the write it read or initialCluster. It returns nil if ops is linearizable.
func checkZones(ops []kop, from []int32) *zoneViolation {
	n := len(ops)
	zones := make([]zone, n+1) // zones[n] is the initial value's cluster
	for c := range zones {
		zones[c] = zone{f: math.MaxInt64, s: math.MinInt64, fOp: -1, sOp: -1, write: int32(c)}
	}
	zones[n].write = initialCluster
	zones[n].f = math.MinInt64
	add := func(c int, i int32) {
		z := &zones[c]
		z.hasMembers = true
		if ops[i].ret < z.f {
			z.f, z.fOp = ops[i].ret, i
		}
		if ops[i].call > z.s {
			z.s, z.sOp = ops[i].call, i
		}
	}
	for i := range ops {
		if ops[i].write {
			add(i, int32(i))
		}
	}
	for i := range ops {
		if ops[i].write {
			continue
		}
		w := from[i]
		if w == initialCluster {
			add(n, int32(i))
			continue
		}
		if ops[i].ret < ops[w].call {
			return &zoneViolation{read: int32(i), a: zones[w]}
		}
		add(int(w), int32(i))
	}
	var fwd, bwd []int32
	for c := range zones {
		z := &zones[c]
		if !z.hasMembers {
			continue
		}
		z.forward = z.f < z.s
		if z.forward {
			fwd = append(fwd, int32(c))
		} else {
			bwd = append(bwd, int32(c))
		}
	}
	sort.Slice(fwd, func(a, b int) bool { return zones[fwd[a]].f < zones[fwd[b]].f })
	// Forward zones sorted by f are pairwise disjoint exactly when each one
	// ends no later than the next begins.
	for k := 0; k+1 < len(fwd); k++ {
		a, b := &zones[fwd[k]], &zones[fwd[k+1]]
		if b.f < a.s {
			return &zoneViolation{read: -1, a: *a, b: *b}
		}
	}
	// Only the forward zone beginning last before a backward zone begins
	// can contain it, since the forward zones are now known to be disjoint.
	for _, c := range bwd {
		b := &zones[c]
		k := sort.Search(len(fwd), func(k int) bool { return zones[fwd[k]].f >= b.s }) - 1
		if k < 0 {
			continue
		}
		a := &zones[fwd[k]]
		if b.f < a.s {
			return &zoneViolation{read: -1, a: *a, b: *b}
		}
	}
	return nil
}

// mapReads maps every get of h to the write it read. It is exact when values
// are unique and no get returned "" while some write also left the key
// empty; exact reports whether that is so. Otherwise a get of "" could have
// read the initial value or any delete, and mapReads guesses by the given
// rule (0 or 1, see emptySource). A guess that checks out proves the history
// linearizable; one that does not proves nothing.
func mapReads(h *keyHistory, rule int) (from []int32, exact bool) {
	ops := h.ops
	writeOf := make([]int32, h.nvals)
	for v := range writeOf {
		writeOf[v] = initialCluster
	}
	for i := range ops {
		if ops[i].write {
			writeOf[ops[i].val] = int32(i)
		}
	}
	exact = !(h.emptyWrite && h.emptyRead)
	var src *emptySources
	if !exact {
		src = newEmptySources(ops)
	}
	from = make([]int32, len(ops))
	for i := range ops {
		switch {
		case ops[i].write:
			from[i] = int32(i)
		case ops[i].val != 0 || exact:
			from[i] = writeOf[ops[i].val]
		default:
			from[i] = src.guess(ops[i], rule)
		}
	}
	return from, exact
}

// emptySources indexes the writes of a key for guessing which one a get of
// "" read.
type emptySources struct {
	ops           []kop
	byCall, byRet []int32 // the deletes, by call and by return
	firstWriteRet int64   // the earliest return of any write
	valueRets     []int64 // returns of operations with a non-empty value, sorted
	lastValueCall []int64 // lastValueCall[k]: latest call among the first k+1 of them by return
}

func newEmptySources(ops []kop) *emptySources {
	e := &emptySources{ops: ops, firstWriteRet: math.MaxInt64}
	var vals []int32
	for i := range ops {
		switch {
		case ops[i].write && ops[i].val == 0:
			e.byCall = append(e.byCall, int32(i))
		case ops[i].val != 0:
			vals = append(vals, int32(i))
		}
		if ops[i].write {
			e.firstWriteRet = min(e.firstWriteRet, ops[i].ret)
		}
	}
	e.byRet = slices.Clone(e.byCall)
	sort.Slice(e.byRet, func(a, b int) bool { return ops[e.byRet[a]].ret < ops[e.byRet[b]].ret })
	sort.Slice(vals, func(a, b int) bool { return ops[vals[a]].ret < ops[vals[b]].ret })
	last := int64(math.MinInt64)
	for _, i := range vals {
		last = max(last, ops[i].call)
		e.valueRets = append(e.valueRets, ops[i].ret)
		e.lastValueCall = append(e.lastValueCall, last)
	}
	return e
}

// guess names the write that get r probably read. Rule 0 takes the initial
// value if no write returned before r was called, and else the delete called
// last before r returned. Rule 1 prefers a delete that returned before r was
// called with no operation seeing a non-empty value strictly in between (the
// latest such), then a delete running at the same time as r (the one called
// last), then the initial value.
func (e *emptySources) guess(r kop, rule int) int32 {
	ops := e.ops
	if r.call <= e.firstWriteRet {
		return initialCluster
	}
	if rule == 1 {
		// Every delete that returned before the latest call of an operation
		// that saw a non-empty value and returned before r was called is
		// certainly overwritten before r.
		floor := int64(math.MinInt64)
		if k := sort.Search(len(e.valueRets), func(k int) bool { return e.valueRets[k] >= r.call }) - 1; k >= 0 {
			floor = e.lastValueCall[k]
		}
		k := sort.Search(len(e.byRet), func(k int) bool { return ops[e.byRet[k]].ret >= r.call }) - 1
		if k >= 0 && ops[e.byRet[k]].ret >= floor {
			return e.byRet[k]
		}
	}
	k := sort.Search(len(e.byCall), func(k int) bool { return ops[e.byCall[k]].call > r.ret }) - 1
	if k >= 0 && (rule == 0 || ops[e.byCall[k]].ret >= r.call) {
		return e.byCall[k]
	}
	return initialCluster
}
