package checker

import (
	"context"
	"slices"
)

// minimize shrinks idx, a non-linearizable sub-history of one key, to a set
// from which no single operation can be removed without the rest becoming
// linearizable. It is Zeller's delta debugging: try dropping chunks, halves
// first, and refine the chunks when none can go. Dropping operations can
// make a history linearizable or not in either direction (a dropped write
// can orphan a get), so every candidate is checked afresh. It stops when ctx
// ends and then reports that the result may not be minimal.
func minimize(ctx context.Context, all []Operation, idx []int32) ([]int32, bool) {
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
			rest := slices.Concat(cur[:lo], cur[hi:])
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

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
