package checker

import (
	"fmt"
	"math/rand/v2"
	"sort"
)

// scenario is one of the large generated histories that the benchmarks and
// the comparison with Porcupine run on.
type scenario struct {
	name        string
	ops, keys   int
	clients     int
	pendingProb float64
	staleRead   bool // inject one read that is certainly stale
}

var scenarios = []scenario{
	{name: "1M-ops-1000-keys-64-clients", ops: 1_000_000, keys: 1000, clients: 64},
	{name: "hot-100k-ops-10-keys-64-clients", ops: 100_000, keys: 10, clients: 64},
	{name: "1M-ops-10-keys-16-clients", ops: 1_000_000, keys: 10, clients: 16},
	{name: "1M-ops-1000-keys-1pct-pending-1-stale-read", ops: 1_000_000, keys: 1000, clients: 64, pendingProb: 0.01, staleRead: true},
	{name: "hot-100k-ops-10-keys-64-clients-1pct-pending-1-stale-read", ops: 100_000, keys: 10, clients: 64, pendingProb: 0.01, staleRead: true},
}

func findScenario(name string) (scenario, bool) {
	for _, s := range scenarios {
		if s.name == name {
			return s, true
		}
	}
	return scenario{}, false
}

// generate builds the scenario's history: clients issue operations back to
// back against an atomic store, each taking up to 2 ms, half of them gets.
func (s scenario) generate() []Operation {
	rng := rand.New(rand.NewPCG(uint64(s.ops), uint64(s.keys*1000+s.clients)))
	ops := genLinearizable(rng, genConfig{
		keys: s.keys, clients: s.clients, opsPerClient: s.ops / s.clients,
		getProb: 0.5, deleteProb: 0.02, pendingProb: s.pendingProb,
		maxGap: 100_000, maxDur: 2_000_000,
	})
	if s.staleRead {
		injectStaleRead(rng, ops)
	}
	return ops
}

// injectStaleRead makes one completed get return the value of a put that
// another put certainly overwrote before the get was called.
func injectStaleRead(rng *rand.Rand, ops []Operation) {
	byKey := map[string][]int{}
	for i, o := range ops {
		byKey[o.Key] = append(byKey[o.Key], i)
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range rng.Perm(len(keys)) {
		idx := byKey[keys[k]]
		sort.Slice(idx, func(a, b int) bool { return ops[idx[a]].Call < ops[idx[b]].Call })
		for a, i := range idx {
			old := ops[i]
			if old.Op != "put" || old.Pending() {
				continue
			}
			for b := a + 1; b < len(idx); b++ {
				newer := ops[idx[b]]
				if newer.Op != "put" || newer.Pending() || newer.Call <= old.Return {
					continue
				}
				for _, g := range idx[b+1:] {
					if ops[g].Op == "get" && !ops[g].Pending() && ops[g].Call > newer.Return {
						ops[g].Value = old.Value
						return
					}
				}
			}
		}
	}
	panic(fmt.Sprint("no place for a stale read"))
}
