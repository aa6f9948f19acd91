package evaluation

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agora-consensus/agora/benchmark"
	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/sim"
)

// The written configuration loads, and each link's emulated delay is half
// the paper matrix's mean round trip, both ways.
func TestEmulatedConfigCarriesTheMatrix(t *testing.T) {
	dir := t.TempDir()
	if err := WriteEmulatedConfig(dir, "multipaxos", 37000, false); err != nil {
		t.Fatal(err)
	}
	cfg, err := paxi.LoadConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Replicas) != 5 || cfg.Algorithm != "multipaxos" {
		t.Fatalf("replicas %v, algorithm %q", cfg.IDs(), cfg.Algorithm)
	}
	m := sim.WAN(5)
	for a := 1; a <= 5; a++ {
		for b := 1; b <= 5; b++ {
			if a == b {
				continue
			}
			got := cfg.EmulatedDelay(paxi.ID(string(rune('0'+a))+".1"), paxi.ID(string(rune('0'+b))+".1"))
			if want := RTT(m, a, b) / 2; got < want-100*time.Microsecond || got > want+100*time.Microsecond {
				t.Errorf("%d -> %d: delay %v, want half of %v", a, b, got, RTT(m, a, b))
			}
		}
	}
}

// writeClientJSON writes what bin/client -json prints (its label and
// conflicts beside a benchmark.RunReport) with the given result.
func writeClientJSON(t *testing.T, path string, ops int, p50 time.Duration) {
	t.Helper()
	rr := benchmark.RunReport{Label: "epaxos", Result: benchmark.Result{Ops: ops, Latency: benchmark.Latency{P50: p50}}}
	b, err := json.Marshal(struct {
		Algorithm string  `json:"algorithm"`
		Conflicts float64 `json:"conflicts"`
		benchmark.RunReport
	}{"epaxos", 0, rr})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// The comparison reads bin/client's report format (it once read fields
// that had moved, and saw 0 commands with a 0 ms median at every site).
func TestReadClientReadsTheLoadGeneratorsReport(t *testing.T) {
	path := filepath.Join(t.TempDir(), "client-CA.json")
	writeClientJSON(t, path, 1234, 61500*time.Microsecond)
	ops, p50, err := readClient(path)
	if err != nil || ops != 1234 || p50 != 61500*time.Microsecond {
		t.Fatalf("read %d commands, median %v, error %v; want 1234, 61.5ms", ops, p50, err)
	}
	writeClientJSON(t, path, 0, 0)
	if _, _, err := readClient(path); err == nil {
		t.Fatal("a report without commands was accepted")
	}
}

// With several runs the median of their medians is compared: one run far
// off (the machine busy) does not fail a site the others agree on.
func TestCompareEmulatedTakesTheMedianOfRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the simulator")
	}
	dir := t.TempDir()
	o := QuickOptions()
	cfg := wanConfig(o, "multipaxos", nil, sim.WAN(5).Constant(), 0)
	_, res, err := run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i, site := range sim.WAN(5).Names {
		p50 := res.Sites[i].P50
		writeClientJSON(t, filepath.Join(dir, "run1", "client-"+site+".json"), 100, p50*102/100)
		writeClientJSON(t, filepath.Join(dir, "run2", "client-"+site+".json"), 100, p50*2)
		writeClientJSON(t, filepath.Join(dir, "run3", "client-"+site+".json"), 100, p50*98/100)
	}
	var out strings.Builder
	bad, err := CompareEmulated(&out, dir, "multipaxos", o)
	if err != nil || len(bad) > 0 {
		t.Fatalf("error %v, off %v:\n%s", err, bad, out.String())
	}
	if !strings.Contains(out.String(), "3 runs") {
		t.Fatalf("runs not counted:\n%s", out.String())
	}
	for i, site := range sim.WAN(5).Names {
		writeClientJSON(t, filepath.Join(dir, "run3", "client-"+site+".json"), 100, res.Sites[i].P50*3)
	}
	if bad, err := CompareEmulated(&out, dir, "multipaxos", o); err != nil || len(bad) != 5 {
		t.Fatalf("two runs of three far off: %d sites failed (error %v), want 5", len(bad), err)
	}
}

// The loopback baseline is the same cluster without emulated delays.
func TestLoopbackConfigHasNoDelays(t *testing.T) {
	dir := t.TempDir()
	if err := WriteLoopbackConfig(dir, "epaxos", 37000, false); err != nil {
		t.Fatal(err)
	}
	cfg, err := paxi.LoadConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Replicas) != 5 || cfg.EmulatedDelay("1.1", "5.1") != 0 {
		t.Fatalf("replicas %v, delay 1.1 -> 5.1 %v; want 5 and none", cfg.IDs(), cfg.EmulatedDelay("1.1", "5.1"))
	}
}

// The comparison's replicas do not sync unless asked: the simulator has no
// disk, and syncs were 6 of the 8 ms a command cost on loopback here.
func TestEmulatedConfigSyncsOnlyWhenAsked(t *testing.T) {
	for _, fsync := range []bool{false, true} {
		dir := t.TempDir()
		if err := WriteEmulatedConfig(dir, "multipaxos", 37000, fsync); err != nil {
			t.Fatal(err)
		}
		cfg, err := paxi.LoadConfig(filepath.Join(dir, "config.json"))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.FsyncEnabled() != fsync || cfg.EmulatedDelay("1.1", "5.1") == 0 {
			t.Fatalf("fsync %v, delay 1.1 -> 5.1 %v; want fsync %v and a delay", cfg.FsyncEnabled(), cfg.EmulatedDelay("1.1", "5.1"), fsync)
		}
	}
}
