package checker

import (
	"context"
	"slices"
)

// minimize shrinks idx, a non-linearizable sub-history of one key, to a set
// from which no single operation can be removed without the rest becoming
// linearizable. It is Zeller's delta debugging: try dropping chunks, halves
// first, and refine the chunks when none can go. Dropping operations can
// make a history linearizable or not in either direction, so every
// candidate is checked afresh. A get whose possible sources are all dropped
// goes with them (see dropOrphans): otherwise every search would end at a
// lone get of a value "never written", true of the sub-history but saying
// nothing about the history. It stops when ctx ends and then reports that the result
// may not be minimal.
func minimize(ctx context.Context, all []Operation, idx []int32, initialUntil int64) ([]int32, bool) {
	cur := slices.Clone(idx)
	slices.SortFunc(cur, func(a, b int32) int {
		if c := cmpInt64(all[a].Call, all[b].Call); c != 0 {
			return c
		}
		return int(a - b)
	})
	chunks := 2
	for len(cur) > 1 {
		chunks = min(chunks, len(cur))
		reduced := false
		for k := 0; k < chunks; k++ {
			lo, hi := k*len(cur)/chunks, (k+1)*len(cur)/chunks
			rest := dropOrphans(all, slices.Concat(cur[:lo], cur[hi:]), initialUntil)
			v := checkSubset(ctx, all, rest)
			if ctx.Err() != nil {
				return cur, false
			}
			if v == Illegal {
				cur = rest
				chunks = max(chunks-1, 2)
				reduced = true
				break
			}
		}
		if !reduced {
			if chunks == len(cur) {
				break
			}
			chunks = min(2*chunks, len(cur))
		}
	}
	return cur, true
}

// dropOrphans removes from idx the completed gets that no operation left in
// idx could have satisfied: a get of a non-empty value that no put in idx
// wrote, and a get of "" that no delete in idx could precede and that could
// not have read the initial value in the whole history, because some write
// had returned before it was called (initialUntil is the earliest such
// return; see initialUntil).
func dropOrphans(all []Operation, idx []int32, initialUntil int64) []int32 {
	written := make(map[string]bool)
	firstDelete := int64(never)
	for _, i := range idx {
		switch o := &all[i]; {
		case o.Op == "put" && o.Value != "":
			written[o.Value] = true
		case o.Op != "get":
			firstDelete = min(firstDelete, o.Call)
		}
	}
	out := make([]int32, 0, len(idx))
	for _, i := range idx {
		o := &all[i]
		if o.Op == "get" && !o.Pending() {
			if o.Value != "" && !written[o.Value] {
				continue
			}
			if o.Value == "" && o.Call > initialUntil && firstDelete > o.Return {
				continue
			}
		}
		out = append(out, i)
	}
	return out
}

// initialUntil returns the earliest return of a completed write among idx:
// a get called after it cannot have read the initial value.
func initialUntil(all []Operation, idx []int32) int64 {
	t := int64(never)
	for _, i := range idx {
		if o := &all[i]; o.Op != "get" && !o.Pending() {
			t = min(t, o.Return)
		}
	}
	return t
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
