package checker

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"time"
)

// Verdict is the outcome of a linearizability check.
type Verdict int

const (
	// Ok means the history is linearizable.
	Ok Verdict = iota
	// Illegal means it is not; Result says which operations show it.
	Illegal
	// Unknown means the time limit expired before the check finished.
	Unknown
)

func (v Verdict) String() string {
	switch v {
	case Ok:
		return "ok"
	case Illegal:
		return "illegal"
	}
	return "unknown"
}

// Options tunes CheckLinearizable.
type Options struct {
	// Timeout bounds the whole check; 0 means no limit. When it expires the
	// verdict is Unknown, unless a violation was already found.
	Timeout time.Duration
	// MinimizeTimeout bounds the search for a small set of operations that
	// shows a violation, which runs after the check and is not counted in
	// Timeout; 0 means 10 seconds.
	MinimizeTimeout time.Duration
	// Workers is the number of keys checked at once; 0 means GOMAXPROCS.
	Workers int
}

// Result is the outcome of CheckLinearizable.
type Result struct {
	Verdict Verdict
	// Keys is the number of keys in the history.
	Keys int
	// IllegalKeys lists, sorted, every key whose history is not
	// linearizable (on Unknown, those found before the time ran out).
	IllegalKeys []string
	// Key is the key whose violation is explained: the first of IllegalKeys.
	Key string
	// Indices are the positions, in the checked history, of a set of
	// operations on Key that cannot be linearized even on their own, sorted
	// by call time; Ops are those operations.
	Indices []int
	Ops     []Operation
	// Minimal reports that removing any one of Ops makes the rest
	// linearizable; it is false if the minimization ran out of time.
	Minimal bool
	// Reason explains, in words, why Ops cannot be linearized.
	Reason string
}

// keyResult is the outcome of one key.
type keyResult struct {
	verdict Verdict
	witness []int32 // indices into the history of a violating subset; nil if unknown
}

// CheckLinearizable checks that ops is linearizable for a key-value store in
// which every key is a register: get returns the last value written, put
// writes its value and delete writes "", the value of an absent key. An
// operation that never returned may take effect at any time after its call,
// or never. Operation intervals are closed: a precedes b only if a returned
// strictly before b was called. Every operation must be valid as
// ReadHistory would accept it; an invalid one is a bug in the caller, and
// CheckLinearizable panics naming it.
func CheckLinearizable(ops []Operation, opts Options) Result {
	for i := range ops {
		if err := ops[i].validate(); err != nil {
			panic(fmt.Sprintf("checker: operation %d (%v): %v", i, ops[i], err))
		}
	}
	ctx := context.Background()
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	keys, groups := partition(ops)
	results := checkKeys(ctx, ops, groups, opts.Workers)
	res := Result{Verdict: Ok, Keys: len(keys)}
	first := -1
	for g, r := range results {
		switch r.verdict {
		case Illegal:
			res.IllegalKeys = append(res.IllegalKeys, keys[g])
			if first < 0 || keys[g] < keys[first] {
				first = g
			}
		case Unknown:
			res.Verdict = Unknown
		}
	}
	sort.Strings(res.IllegalKeys)
	if first < 0 {
		return res
	}
	res.Verdict = Illegal
	res.Key = keys[first]
	budget := opts.MinimizeTimeout
	if budget <= 0 {
		budget = 10 * time.Second
	}
	// Minimizing has its own budget so that a violation found just before
	// the time limit is still explained in few operations.
	mctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	start := results[first].witness
	if start == nil || checkSubset(mctx, ops, start) != Illegal {
		start = groups[first]
	}
	witness, minimal := minimize(mctx, ops, start, initialUntil(ops, groups[first]))
	res.Minimal = minimal
	for _, i := range witness {
		res.Indices = append(res.Indices, int(i))
		res.Ops = append(res.Ops, ops[i])
	}
	res.Reason = explain(ops, witness)
	return res
}

// checkKeys checks every group on its own, several at once, largest first so
// that one big key does not start last and finish alone.
func checkKeys(ctx context.Context, ops []Operation, groups [][]int32, workers int) []keyResult {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	order := make([]int, len(groups))
	for g := range order {
		order[g] = g
	}
	sort.Slice(order, func(a, b int) bool { return len(groups[order[a]]) > len(groups[order[b]]) })
	results := make([]keyResult, len(groups))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, len(groups)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for g := range jobs {
				results[g] = checkKey(ctx, ops, groups[g])
			}
		}()
	}
	for _, g := range order {
		jobs <- g
	}
	close(jobs)
	wg.Wait()
	return results
}

// checkKey decides the history of one key: by the zone check when every get
// can be mapped to the write it read, and by the complete search otherwise.
func checkKey(ctx context.Context, all []Operation, idx []int32) keyResult {
	if ctx.Err() != nil {
		return keyResult{verdict: Unknown}
	}
	h, bad := prepareKey(all, idx)
	if bad >= 0 {
		return keyResult{verdict: Illegal, witness: []int32{bad}}
	}
	var hint []int32
	if h.unique {
		for rule := 0; rule < 2; rule++ {
			from, exact := mapReads(&h, rule)
			v := checkZones(h.ops, from)
			if v == nil {
				return keyResult{verdict: Ok}
			}
			if hint == nil {
				for _, i := range v.ops() {
					hint = append(hint, h.ops[i].orig)
				}
			}
			if exact {
				return keyResult{verdict: Illegal, witness: hint}
			}
		}
	}
	v := newSearcher(h.ops, h.nvals).run(ctx)
	if v != Illegal {
		return keyResult{verdict: v}
	}
	return keyResult{verdict: Illegal, witness: hint}
}

// checkSubset decides the sub-history idx of one key.
func checkSubset(ctx context.Context, all []Operation, idx []int32) Verdict {
	return checkKey(ctx, all, idx).verdict
}
