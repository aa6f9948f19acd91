package checker

import (
	"flag"
	"math/rand/v2"
	"testing"
	"time"
)

var seedFlag = flag.Int64("seed", -1, "replay only this seed in TestAgreesWithBruteForce")

// smallConfig draws the shape of one small history from rng.
func smallConfig(rng *rand.Rand) genConfig {
	cfg := genConfig{
		keys:         1 + rng.IntN(2),
		clients:      1 + rng.IntN(5),
		getProb:      0.3 + 0.4*rng.Float64(),
		deleteProb:   0.15 * rng.Float64(),
		maxGap:       int64(rng.IntN(20)),
		maxDur:       int64(1 + rng.IntN(30)),
		repeatValues: rng.IntN(4) == 0,
	}
	if rng.IntN(3) == 0 {
		cfg.pendingProb = 0.25 * rng.Float64()
	}
	cfg.opsPerClient = 1 + rng.IntN(max(1, 10/cfg.clients))
	return cfg
}

// historyForSeed builds the history that the property test checks for seed.
func historyForSeed(seed int64) []Operation {
	rng := rand.New(rand.NewPCG(uint64(seed), 7))
	ops := genLinearizable(rng, smallConfig(rng))
	if rng.IntN(3) > 0 {
		ops = mutate(rng, ops)
	}
	return ops
}

func TestAgreesWithBruteForce(t *testing.T) {
	first, last := int64(0), int64(50000)
	if testing.Short() {
		last = 10000
	}
	if *seedFlag >= 0 {
		first, last = *seedFlag, *seedFlag+1
	}
	var legal, illegal int
	for seed := first; seed < last; seed++ {
		ops := historyForSeed(seed)
		want := bruteLinearizable(ops)
		res := CheckLinearizable(ops, Options{Workers: 1})
		if (res.Verdict == Ok) != want || res.Verdict == Unknown {
			t.Fatalf("seed %d: checker says %v, brute force says linearizable=%v\n"+
				"replay: go test ./checker/ -run TestAgreesWithBruteForce -seed %d -v\nhistory:\n%s",
				seed, res.Verdict, want, seed, dump(ops))
		}
		if !want {
			illegal++
			checkWitness(t, seed, ops, res)
		} else {
			legal++
		}
	}
	t.Logf("%d linearizable and %d non-linearizable histories agree", legal, illegal)
}

// checkWitness verifies the explanation of a violation against the brute
// force: the operations reported cannot be linearized, and if they are
// reported minimal, dropping any one of them makes them linearizable.
func checkWitness(t *testing.T, seed int64, ops []Operation, res Result) {
	t.Helper()
	if len(res.Ops) == 0 || res.Reason == "" {
		t.Fatalf("seed %d: violation without witness or reason: %+v", seed, res)
	}
	if bruteLinearizable(res.Ops) {
		t.Fatalf("seed %d: the reported witness is linearizable\nreplay: go test ./checker/ -run TestAgreesWithBruteForce -seed %d -v\n%s", seed, seed, res)
	}
	if !res.Minimal {
		t.Fatalf("seed %d: minimization of a tiny history did not finish", seed)
	}
	var key []int32
	for i := range ops {
		if ops[i].Key == res.Key {
			key = append(key, int32(i))
		}
	}
	until := initialUntil(ops, key)
	for k := range res.Indices {
		var idx []int32
		for j, i := range res.Indices {
			if j != k {
				idx = append(idx, int32(i))
			}
		}
		var rest []Operation
		for _, i := range dropOrphans(ops, idx, until) {
			rest = append(rest, ops[i])
		}
		if len(rest) > 0 && !bruteLinearizable(rest) {
			t.Fatalf("seed %d: witness is not minimal, #%d can go\nreplay: go test ./checker/ -run TestAgreesWithBruteForce -seed %d -v\n%s", seed, k+1, seed, res)
		}
	}
}

func dump(ops []Operation) string {
	s := ""
	for _, o := range ops {
		s += o.String() + "\n"
	}
	return s
}

// TestSearchAgreesWithZones checks the complete search against the zone
// check on histories where both apply, which covers histories far larger
// than the brute force can enumerate.
func TestSearchAgreesWithZones(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 500
	}
	for seed := int64(0); seed < int64(n); seed++ {
		rng := rand.New(rand.NewPCG(uint64(seed), 11))
		cfg := genConfig{keys: 1, clients: 2 + rng.IntN(6), opsPerClient: 5 + rng.IntN(30),
			getProb: 0.6, maxGap: 10, maxDur: int64(5 + rng.IntN(40))}
		if rng.IntN(2) == 0 {
			cfg.pendingProb = 0.05
		}
		ops := genLinearizable(rng, cfg)
		if rng.IntN(2) == 0 {
			ops = mutate(rng, ops)
		}
		_, groups := partition(ops)
		h, bad := prepareKey(ops, groups[0])
		if bad >= 0 || !h.unique {
			continue
		}
		from, _ := mapReads(&h, 0)
		zonesOk := checkZones(h.ops, from) == nil
		v := newSearcher(h.ops, h.nvals).run(t.Context())
		if (v == Ok) != zonesOk {
			t.Fatalf("seed %d: search says %v, zones say ok=%v\n%s", seed, v, zonesOk, dump(ops))
		}
	}
}

func TestTimeoutGivesUnknown(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ops := genLinearizable(rng, genConfig{keys: 1, clients: 64, opsPerClient: 2000, getProb: 0.5,
		repeatValues: true, maxGap: 5, maxDur: 200})
	ops = mutate(rng, ops)
	start := time.Now()
	res := CheckLinearizable(ops, Options{Timeout: 50 * time.Millisecond, MinimizeTimeout: 50 * time.Millisecond})
	if res.Verdict == Ok {
		t.Skip("the search finished before the time limit")
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("timeout of 50ms took %v", el)
	}
}
