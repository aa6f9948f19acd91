package benchmark

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/agora-consensus/agora/paxi"
	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// paxiBenchmarkJSON is a Paxi benchmark.json with every field of its
// Bconfig.
const paxiBenchmarkJSON = `{
    "T": 60, "N": 0, "K": 1000, "W": 0.5, "Throttle": 0, "Concurrency": 1,
    "Distribution": "uniform", "LinearizabilityCheck": true, "Conflicts": 100, "Min": 0,
    "Mu": 0, "Sigma": 60, "Move": false, "Speed": 500, "ZipfianS": 2, "ZipfianV": 1, "Lambda": 0.01
}`

func TestPaxiBenchmarkJSONLoads(t *testing.T) {
	w, err := ParseWorkload([]byte(paxiBenchmarkJSON))
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultWorkload()
	want.Duration, want.Writes, want.Concurrency, want.Outstanding = paxi.Duration(time.Minute), 0.5, 1, 1
	want.Distribution, want.Check, want.Conflicts = "uniform", true, 100
	if w.Duration != want.Duration || w.Writes != want.Writes || w.Concurrency != 1 || w.Outstanding != 1 ||
		w.Distribution != "uniform" || !w.Check || w.Conflicts != 100 || w.Keys != 1000 || w.Sigma != 60 ||
		w.Speed.D() != 500*time.Millisecond || w.ZipfianS != 2 || w.ZipfianV != 1 || w.Lambda != 0.01 || w.Rate != 0 {
		t.Fatalf("loaded %+v", w)
	}
	// Paxi's spelling of zipfian, a throttle, N requests.
	w, err = ParseWorkload([]byte(`{"Distribution": "zipfan", "Throttle": 2000, "N": 5000, "ZipfianS": 1.5}`))
	if err != nil {
		t.Fatal(err)
	}
	if w.distribution() != "zipfian" || w.Rate != 2000 || w.Arrival != "fixed" || w.Requests != 5000 || w.ZipfianS != 1.5 {
		t.Fatalf("loaded %+v", w)
	}
}

func TestAgoraNamesLoad(t *testing.T) {
	w, err := ParseWorkload([]byte(`{"duration":"3s","reads":0.9,"key_size":8,"rate":500,"arrival":"poisson",
		"think_time":"1ms","clients_per_zone":{"1":2,"2":1},"target_policy":"nearest","distribution":"normal","mu":10,"sigma":3}`))
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(w.Writes-0.1) > 1e-9 || w.KeySize != 8 || !w.OpenLoop() || w.ThinkTime.D() != time.Millisecond ||
		w.ClientsPerZone["2"] != 1 || w.TargetPolicy != "nearest" {
		t.Fatalf("loaded %+v", w)
	}
}

// TestUnknownFieldNamesTheNearest: one line, the field, a suggestion.
func TestUnknownFieldNamesTheNearest(t *testing.T) {
	cases := map[string]string{`{"Conflict": 5}`: `"Conflicts"`, `{"valuesize": 5}`: `"value_size"`,
		`{"Zipfian_S": 2}`: `"zipfian_s"`, `{"outstandng": 3}`: `"outstanding"`}
	for in, want := range cases {
		_, err := ParseWorkload([]byte(in))
		if err == nil || !strings.Contains(err.Error(), "unknown field") || !strings.Contains(err.Error(), want) ||
			strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want one line naming %s", in, err, want)
		}
	}
	for _, in := range []string{`{"Distribution":"pareto"}`, `{"target_policy":"closest"}`, `{"reads":0.5,"writes":0.5}`, `{"Distribution":"zipfian","ZipfianS":1}`} {
		if _, err := ParseWorkload([]byte(in)); err == nil {
			t.Errorf("%s loads", in)
		}
	}
}

// draws returns n key offsets of a distribution.
func draws(t *testing.T, js string, n int) []float64 {
	t.Helper()
	w, err := ParseWorkload([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	g := newGenerator(w, 1, keyNames(w))
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(g.keyIndex())
	}
	return out
}

// chiSquareP is the p-value of observed counts against expected ones.
func chiSquareP(obs, exp []float64) float64 {
	return distuv.ChiSquared{K: float64(len(obs) - 1)}.Survival(stat.ChiSquare(obs, exp))
}

const n = 200_000

func TestUniformIsUniform(t *testing.T) {
	xs := draws(t, `{"Distribution":"uniform","K":50}`, n)
	obs := make([]float64, 50)
	for _, x := range xs {
		obs[int(x)]++
	}
	exp := make([]float64, 50)
	for i := range exp {
		exp[i] = n / 50
	}
	if p := chiSquareP(obs, exp); p < 1e-4 {
		t.Fatalf("chi-square p=%g: not uniform", p)
	}
}

func TestOrderCyclesThroughTheKeys(t *testing.T) {
	xs := draws(t, `{"Distribution":"order","K":7}`, 21)
	for i, x := range xs {
		if int(x) != (i+1)%7 {
			t.Fatalf("draw %d = %v: %v", i, x, xs)
		}
	}
}

// TestConflictSendsItsShareToKeyZero: Paxi's conflict distribution puts
// Conflicts percent on key 0 (below Min) and the rest in order from Min.
func TestConflictSendsItsShareToKeyZero(t *testing.T) {
	xs := draws(t, `{"Distribution":"conflict","Conflicts":30,"K":100,"Min":1000}`, n)
	hot := 0
	for _, x := range xs {
		if x == -1000 {
			hot++
		} else if x < 0 || x >= 100 {
			t.Fatalf("key offset %v outside 0..99", x)
		}
	}
	if sd := math.Sqrt(n * 0.3 * 0.7); math.Abs(float64(hot)-0.3*n) > 5*sd {
		t.Fatalf("%d of %d on key 0, want about %.0f", hot, n, 0.3*n)
	}
}

// Two load-generator processes must not share private keys (found by the
// emulated wide-area run: five per-site processes all wrote c1..c10).
func TestPrivateKeysDifferBetweenProcesses(t *testing.T) {
	w := DefaultWorkload()
	a := newGenerator(w, 1, nil).own
	saved := runTag
	defer func() { runTag = saved }()
	runTag = saved + "x"
	if b := newGenerator(w, 1, nil).own; a == b {
		t.Fatalf("client 1 of two processes both write %q", a)
	}
}

func TestEPaxosModelSharesOneKey(t *testing.T) {
	w := DefaultWorkload()
	w.Conflicts = 25
	g := newGenerator(w, 3, nil)
	hot := 0
	for i := 0; i < n; i++ {
		switch g.key() {
		case "hot":
			hot++
		case "c" + runTag + "-3":
		default:
			t.Fatal("a key neither shared nor the client's own")
		}
	}
	if sd := math.Sqrt(n * 0.25 * 0.75); math.Abs(float64(hot)-0.25*n) > 5*sd {
		t.Fatalf("%d of %d on the shared key, want about %.0f", hot, n, 0.25*n)
	}
}

func TestNormalHasItsMeanAndSigma(t *testing.T) {
	xs := draws(t, `{"Distribution":"normal","K":1000,"Mu":500,"Sigma":60}`, n)
	mean, sd := stat.MeanStdDev(xs, nil)
	// floor() shifts the mean down by half a key.
	if math.Abs(mean+0.5-500) > 5*60/math.Sqrt(n) || math.Abs(sd-60) > 1 || math.Abs(stat.Skew(xs, nil)) > 0.05 {
		t.Fatalf("mean %.2f sd %.2f skew %.3f, want 500, 60, 0", mean, sd, stat.Skew(xs, nil))
	}
}

func TestMovingNormalMoves(t *testing.T) {
	w, _ := ParseWorkload([]byte(`{"Distribution":"normal","K":1000,"Mu":100,"Sigma":1,"Move":true,"Speed":1}`))
	g := newGenerator(w, 1, nil)
	g.start = time.Now().Add(-200 * time.Millisecond) // 200 keys on
	if k := g.keyIndex(); k < 290 {
		t.Fatalf("key %d: the mean did not move from 100 by about 200", k)
	}
}

// TestZipfianFollowsItsLaw: key i has weight (v+i)^-s.
func TestZipfianFollowsItsLaw(t *testing.T) {
	xs := draws(t, `{"Distribution":"zipfan","K":1000,"ZipfianS":1.5,"ZipfianV":2}`, n)
	const head = 20 // keys 0..19 and the rest in one bucket
	obs := make([]float64, head+1)
	for _, x := range xs {
		obs[min(int(x), head)]++
	}
	w := make([]float64, head+1)
	total := 0.0
	for i := 0; i < 1000; i++ {
		p := math.Pow(2+float64(i), -1.5)
		w[min(i, head)] += p
		total += p
	}
	for i := range w {
		w[i] *= n / total
	}
	if p := chiSquareP(obs, w); p < 1e-4 {
		t.Fatalf("chi-square p=%g: not zipfian (observed %v, expected %v)", p, obs[:5], w[:5])
	}
}

func TestExponentialHasItsRate(t *testing.T) {
	xs := draws(t, `{"Distribution":"exponential","K":100000,"Lambda":0.01}`, n)
	mean, sd := stat.MeanStdDev(xs, nil)
	// int() truncates: the mean of floor(X) is 1/(e^λ-1) - ... about 1/λ - 0.5.
	if math.Abs(mean-99.5) > 5*100/math.Sqrt(n) || math.Abs(sd-100)/100 > 0.02 {
		t.Fatalf("mean %.2f sd %.2f, want about 100 and 100", mean, sd)
	}
}
