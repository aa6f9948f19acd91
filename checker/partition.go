package checker

import (
	"math"
	"slices"
)

// never is the return time given to a pending operation: it may take effect
// at any time after its call, so nothing it does constrains what follows.
const never = math.MaxInt64

// kop is one operation of a single key's history, reduced to what the
// register model needs.
type kop struct {
	call, ret int64 // ret is never for a pending write
	val       int32 // value id; 0 is "", the value of an absent key
	write     bool  // put or delete; a get otherwise
	orig      int32 // index of the operation in the caller's history
}

// keyHistory is the history of one key, ready for checking.
type keyHistory struct {
	ops        []kop // sorted by call
	unique     bool  // no non-empty value is written by more than one put
	emptyWrite bool  // some write leaves the key empty (a delete, or a put of "")
	emptyRead  bool  // some completed get returned ""
	nvals      int32 // value ids are 0..nvals-1
}

// partition groups operation indices by key. Linearizability is
// compositional (Herlihy and Wing), so each key can be checked on its own.
func partition(ops []Operation) (keys []string, groups [][]int32) {
	byKey := make(map[string]int)
	for i := range ops {
		g, ok := byKey[ops[i].Key]
		if !ok {
			g = len(keys)
			byKey[ops[i].Key] = g
			keys = append(keys, ops[i].Key)
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], int32(i))
	}
	return keys, groups
}

// prepareKey reduces the operations idx of one key to a keyHistory. It drops
// what cannot change the verdict: a pending get (it may never have taken
// effect, and nobody saw its result) and a pending write whose value no
// completed get returned (it may have taken effect after everything else).
// A completed get of a value that no put on the key wrote is a violation on
// its own, and is returned as bad.
func prepareKey(all []Operation, idx []int32) (h keyHistory, bad int32) {
	// One pass over the history copies what is needed, since idx jumps
	// around a history that may not fit in cache.
	type raw struct {
		call, ret int64
		value     string
		kind      byte // 'g', 'p' or 'd'
		vid       int32
	}
	rs := make([]raw, len(idx))
	for k, i := range idx {
		o := &all[i]
		rs[k] = raw{call: o.Call, ret: o.Return, value: o.Value, kind: o.Op[0]}
	}
	ids := make(map[string]int32, len(idx)/2+1)
	ids[""] = 0
	writers := []int32{0} // writers[v]: number of writes of value v
	for k := range rs {
		r := &rs[k]
		if r.kind == 'g' {
			continue
		}
		if r.kind == 'd' {
			r.value = ""
		}
		id, ok := ids[r.value]
		if !ok {
			id = int32(len(writers))
			ids[r.value] = id
			writers = append(writers, 0)
		}
		writers[id]++
		r.vid = id
	}
	read := make([]bool, len(writers))
	for k := range rs {
		r := &rs[k]
		if r.kind != 'g' || r.ret < 0 {
			continue
		}
		id, ok := ids[r.value]
		if !ok {
			return h, idx[k]
		}
		read[id] = true
		r.vid = id
	}
	h.unique = true
	for v := 1; v < len(writers); v++ {
		if writers[v] > 1 {
			h.unique = false
		}
	}
	h.emptyWrite = writers[0] > 0
	h.emptyRead = read[0]
	h.nvals = int32(len(writers))
	h.ops = make([]kop, 0, len(idx))
	sorted := true
	for k := range rs {
		r := &rs[k]
		if r.kind == 'g' && r.ret < 0 {
			continue
		}
		c := kop{call: r.call, ret: r.ret, val: r.vid, write: r.kind != 'g', orig: idx[k]}
		if r.ret < 0 {
			if !read[c.val] {
				continue
			}
			c.ret = never
		}
		if n := len(h.ops); n > 0 && h.ops[n-1].call > c.call {
			sorted = false
		}
		h.ops = append(h.ops, c)
	}
	if !sorted {
		// Ties are broken by position in the history, so that every run
		// checks, and explains, in the same order.
		slices.SortFunc(h.ops, func(a, b kop) int {
			if c := cmpInt64(a.call, b.call); c != 0 {
				return c
			}
			return int(a.orig - b.orig)
		})
	}
	return h, -1
}
