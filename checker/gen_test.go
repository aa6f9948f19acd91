package checker

import (
	"fmt"
	"math/rand/v2"
	"sort"
)

// genConfig describes a family of random histories.
type genConfig struct {
	keys, clients, opsPerClient int
	getProb, deleteProb         float64 // the rest are puts
	pendingProb                 float64 // chance that an operation never returns
	repeatValues                bool    // puts write one of a few values instead of unique ones
	maxGap, maxDur              int64   // time between a client's operations, and an operation's duration
}

// genLinearizable simulates clients on a real, atomic key-value store: each
// operation takes effect at a random instant inside its interval, so the
// history it returns is linearizable by construction. A pending operation
// takes effect at a random later instant, or not at all.
func genLinearizable(rng *rand.Rand, cfg genConfig) []Operation {
	type event struct {
		at  int64
		tie uint64
		op  int
	}
	var ops []Operation
	var events []event
	for c := 0; c < cfg.clients; c++ {
		t := rng.Int64N(cfg.maxGap + 1)
		for j := 0; j < cfg.opsPerClient; j++ {
			o := Operation{Client: c, Key: fmt.Sprintf("k%d", rng.IntN(cfg.keys))}
			switch p := rng.Float64(); {
			case p < cfg.getProb:
				o.Op = "get"
			case p < cfg.getProb+cfg.deleteProb:
				o.Op = "delete"
			default:
				o.Op = "put"
				if cfg.repeatValues {
					o.Value = string(rune('a' + rng.IntN(3)))
				} else {
					o.Value = fmt.Sprintf("v-%d-%d", c, j)
				}
			}
			o.Call = t
			dur := rng.Int64N(cfg.maxDur + 1)
			o.Return = t + dur
			at := t + rng.Int64N(dur+1)
			takesEffect := true
			if rng.Float64() < cfg.pendingProb {
				o.Return = -1
				at = t + rng.Int64N(4*cfg.maxDur+4*cfg.maxGap+1)
				takesEffect = rng.IntN(2) == 0
			}
			if takesEffect {
				events = append(events, event{at: at, tie: rng.Uint64(), op: len(ops)})
			}
			ops = append(ops, o)
			t += dur + rng.Int64N(cfg.maxGap+1)
		}
	}
	sort.Slice(events, func(a, b int) bool {
		if events[a].at != events[b].at {
			return events[a].at < events[b].at
		}
		return events[a].tie < events[b].tie
	})
	store := map[string]string{}
	for _, e := range events {
		o := &ops[e.op]
		switch o.Op {
		case "get":
			if !o.Pending() {
				o.Value = store[o.Key]
			}
		case "put":
			store[o.Key] = o.Value
		case "delete":
			delete(store, o.Key)
		}
	}
	rng.Shuffle(len(ops), func(a, b int) { ops[a], ops[b] = ops[b], ops[a] })
	return ops
}

// mutate breaks a history the ways a faulty store would: a stale or
// invented read, writes applied in the wrong order, an operation moved in
// time. The result may or may not still be linearizable.
func mutate(rng *rand.Rand, ops []Operation) []Operation {
	ops = append([]Operation(nil), ops...)
	if len(ops) == 0 {
		return ops
	}
	var gets, puts []int
	for i, o := range ops {
		switch {
		case o.Op == "get" && !o.Pending():
			gets = append(gets, i)
		case o.Op == "put":
			puts = append(puts, i)
		}
	}
	for n := 1 + rng.IntN(2); n > 0; n-- {
		switch rng.IntN(5) {
		case 0: // a stale or future read: a value written on the key, or ""
			if len(gets) > 0 {
				g := &ops[gets[rng.IntN(len(gets))]]
				g.Value = ""
				var vals []string
				for _, p := range puts {
					if ops[p].Key == g.Key {
						vals = append(vals, ops[p].Value)
					}
				}
				if len(vals) > 0 && rng.IntN(4) > 0 {
					g.Value = vals[rng.IntN(len(vals))]
				}
			}
		case 1: // a read of a value nobody wrote
			if len(gets) > 0 && rng.IntN(3) == 0 {
				ops[gets[rng.IntN(len(gets))]].Value = "never-written"
			}
		case 2: // two writes applied in each other's place
			if len(puts) > 1 {
				a, b := puts[rng.IntN(len(puts))], puts[rng.IntN(len(puts))]
				ops[a].Value, ops[b].Value = ops[b].Value, ops[a].Value
			}
		case 3: // an operation moved in time
			o := &ops[rng.IntN(len(ops))]
			d := o.Return - o.Call
			o.Call = max(0, o.Call+rng.Int64N(41)-20)
			if !o.Pending() {
				o.Return = o.Call + d
			}
		case 4: // a write that repeats another's value, so gets no longer name their write
			if len(puts) > 1 {
				a, b := puts[rng.IntN(len(puts))], puts[rng.IntN(len(puts))]
				ops[a].Value = ops[b].Value
			}
		}
	}
	for i := range ops {
		if ops[i].Op == "delete" {
			ops[i].Value = ""
		}
	}
	return ops
}

// bruteLinearizable decides linearizability by trying every order of the
// operations, with each pending operation either included anywhere after
// its call or left out. It is exponential and meant for a handful of
// operations: its only virtue is being obviously right.
func bruteLinearizable(ops []Operation) bool {
	n := len(ops)
	used := make([]bool, n)
	store := map[string]string{}
	var try func(done int) bool
	try = func(done int) bool {
		complete := true
		for j := 0; j < n; j++ {
			if !used[j] && !ops[j].Pending() {
				complete = false
			}
		}
		if complete {
			return true
		}
		for i := 0; i < n; i++ {
			if used[i] {
				continue
			}
			// i may come next only if no remaining operation returned before i was called.
			ok := true
			for j := 0; j < n; j++ {
				if j != i && !used[j] && !ops[j].Pending() && ops[j].Return < ops[i].Call {
					ok = false
				}
			}
			if !ok {
				continue
			}
			o := ops[i]
			old, had := store[o.Key]
			switch o.Op {
			case "get":
				if !o.Pending() && store[o.Key] != o.Value {
					continue
				}
			case "put":
				store[o.Key] = o.Value
			case "delete":
				delete(store, o.Key)
			}
			used[i] = true
			found := try(done + 1)
			used[i] = false
			if had {
				store[o.Key] = old
			} else {
				delete(store, o.Key)
			}
			if found {
				return true
			}
		}
		return false
	}
	return try(0)
}
