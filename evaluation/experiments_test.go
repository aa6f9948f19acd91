package evaluation

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agora-consensus/agora/paxi/sim"
	_ "github.com/agora-consensus/agora/protocols/all"
)

// testOptions are short runs: every experiment's qualitative result must
// already show.
func testOptions() Options { return Options{Seed: 1, Duration: 2 * time.Second, Clients: 10} }

// mustPass fails the test with every failed check of r.
func mustPass(t *testing.T, r *Report) {
	t.Helper()
	if f := r.Failures(); len(f) > 0 {
		t.Fatalf("seed %d:\n%s\nreplay: go run ./bin/eval -quick -seed %d", r.Options.Seed, strings.Join(f, "\n"), r.Options.Seed)
	}
	if len(r.Checks) == 0 {
		t.Fatal("no checks made")
	}
}

func TestWideAreaMatchesOptimum(t *testing.T) {
	for _, n := range []int{3, 5} {
		w, err := RunWideArea(testOptions(), n)
		if err != nil {
			t.Fatal(err)
		}
		if len(w.Failures) > 0 {
			t.Fatalf("%d sites:\n%s", n, strings.Join(w.Failures, "\n"))
		}
		// With mean delays the formulas are exact, not just close.
		checked := 0
		for _, sr := range w.Series {
			if !sr.Checked {
				continue
			}
			checked++
			if d := sr.worstDiff(); d > 0.5 {
				t.Errorf("%d sites, %s: worst difference %.2f%%, want below 0.5%% with mean delays", n, sr.Name, d)
			}
		}
		if checked != 4 {
			t.Fatalf("%d sites: %d checked series, want 4 (EPaxos optimized and basic, Multi-Paxos, Mencius alone)", n, checked)
		}
	}
}

func TestInterferenceLowersFastPath(t *testing.T) {
	f, err := RunInterference(testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Series) != len(Conflicts) {
		t.Fatalf("%d series, want %d", len(f.Series), len(Conflicts))
	}
	if fp := f.Series[0].FastPath; fp < 0.99 {
		t.Fatalf("fast path %.2f at 0%% interference, want all", fp)
	}
	for i := 1; i < len(f.Series); i++ {
		if f.Series[i].FastPath > f.Series[i-1].FastPath {
			t.Fatalf("fast path rises from %.2f to %.2f between %g%% and %g%%", f.Series[i-1].FastPath, f.Series[i].FastPath, Conflicts[i-1], Conflicts[i])
		}
	}
	// At 100% every command depends on others: the median is far above
	// the fast path's at every site.
	for _, row := range f.Series[len(f.Series)-1].Sites {
		if row.MedianMs < 1.5*row.OptimumMs {
			t.Fatalf("%s at 100%%: median %.1f ms, want well above the fast path's %.1f", row.Site, row.MedianMs, row.OptimumMs)
		}
	}
}

func TestLeaderPlacementMatters(t *testing.T) {
	f, err := RunLeader(testOptions())
	if err != nil {
		t.Fatal(err)
	}
	best, worst := math.Inf(1), 0.0
	for i, sr := range f.Series {
		if d := sr.worstDiff(); d > Tolerance {
			t.Errorf("leader at %s: %.1f%% off the optimum", f.Sites[i], d)
		}
		// At its own site the leader's clients need only its majority.
		if got, want := sr.Sites[i].MedianMs, Ms(MultiPaxos(sim.WAN(5), i+1, i+1)); math.Abs(got-want) > 0.02*want {
			t.Errorf("leader at %s: its own clients' median %.1f ms, want %.1f", f.Sites[i], got, want)
		}
		best, worst = min(best, sr.mean()), max(worst, sr.mean())
	}
	if worst < 1.5*best {
		t.Fatalf("mean latency %.1f ms with the best leader, %.1f with the worst: want placement to matter", best, worst)
	}
}

func TestSlowReplica(t *testing.T) {
	f, err := RunSlow(testOptions())
	if err != nil {
		t.Fatal(err)
	}
	r := &Report{Options: testOptions()}
	checkSlow(r, f)
	mustPass(t, r)
}

func TestAvailabilityRecovers(t *testing.T) {
	f, err := RunAvailability(testOptions())
	if err != nil {
		t.Fatal(err)
	}
	r := &Report{Options: testOptions()}
	checkAvailability(r, f)
	mustPass(t, r)
	for _, l := range f.Timeline {
		crash := int(f.CrashAt / f.Bucket)
		// The crash shows: the bucket after it is below the mean before.
		if l.PerSecond[crash+1] >= l.Before {
			t.Errorf("%s: %.0f/s right after the crash, %.0f/s before: the crash does not show", l.Protocol, l.PerSecond[crash+1], l.Before)
		}
	}
}

func TestBatching(t *testing.T) {
	f, err := RunBatching(testOptions())
	if err != nil {
		t.Fatal(err)
	}
	r := &Report{Options: testOptions()}
	checkBatching(r, f)
	mustPass(t, r)
}

func TestTailLatency(t *testing.T) {
	f, err := RunTail(testOptions())
	if err != nil {
		t.Fatal(err)
	}
	r := &Report{Options: testOptions()}
	checkTail(r, f)
	mustPass(t, r)
	for i, row := range f.Series[1].Sites {
		// Multi-Paxos has no dependencies: its tail is its median.
		if row.P999Ms > 1.1*row.P50Ms {
			t.Errorf("Multi-Paxos at %s: p99.9 %.1f ms, p50 %.1f: want a flat tail", f.Sites[i], row.P999Ms, row.P50Ms)
		}
	}
}

func TestPermute(t *testing.T) {
	m := square()
	p := permute(m, []int{2, 0, 1, 3, 4})
	if p.Name(1) != "C" || p.Name(2) != "A" {
		t.Fatalf("names %v, want C A B D E", p.Names)
	}
	if RTT(p, 1, 2) != RTT(m, 3, 1) || RTT(p, 2, 3) != RTT(m, 1, 2) {
		t.Fatal("permuted round trips do not follow the zones")
	}
}

func TestQuantile(t *testing.T) {
	d := make([]time.Duration, 1000)
	for i := range d {
		d[i] = time.Duration(i)
	}
	if quantile(d, 0.5) != 500 || quantile(d, 0.999) != 999 || quantile(nil, 0.5) != 0 {
		t.Fatalf("quantiles %v %v", quantile(d, 0.5), quantile(d, 0.999))
	}
}

// RunAll of one cheap experiment writes its JSON and both pictures.
func TestWriteResults(t *testing.T) {
	var out strings.Builder
	r, err := RunAll(testOptions(), "widearea", &out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "CA p50/opt/diff") {
		t.Fatalf("no per-site table in:\n%s", out.String())
	}
	dir := t.TempDir()
	if err := WriteResults(dir, r); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"results.json", "latency-5sites.png", "latency-3sites.svg", "cdf-5sites.png"} {
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := RunAll(testOptions(), "nonsense", &out); err == nil {
		t.Fatal("an unknown experiment was accepted")
	}
}
