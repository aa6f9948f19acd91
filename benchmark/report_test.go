package benchmark

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agora-consensus/agora/checker"
	"github.com/agora-consensus/agora/paxi"
)

func shortRun(t *testing.T, l *Local, w Workload) Result {
	t.Helper()
	r, err := RunWith(context.Background(), w, l.Addrs(), Options{History: w.Check})
	if err != nil {
		t.Fatal(err)
	}
	if r.Ops == 0 {
		t.Fatalf("nothing measured: %v", r)
	}
	return r
}

// TestReportWritesEveryFile: results.json with its named fields, the
// pictures as decodable PNG and non-empty SVG, and index.html naming them.
func TestReportWritesEveryFile(t *testing.T) {
	l, err := StartLocal("unreplicated", 2, nil, "", false)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	rep := NewReport("test")
	for i, depth := range []int{1, 4} {
		w := DefaultWorkload()
		w.Duration, w.Warmup, w.Clients, w.Outstanding = paxi.Duration(500*time.Millisecond), paxi.Duration(200*time.Millisecond), 1, depth
		before := ScrapeAll(context.Background(), l.Config)
		r := shortRun(t, l, w)
		srv := Figures(before, ScrapeAll(context.Background(), l.Config), r.Ops)
		rep.Runs = append(rep.Runs, RunReport{Label: []string{"depth 1", "depth 4"}[i], Series: "unreplicated",
			Sweep: map[string]string{"depth": []string{"1", "4"}[i], "protocol": "unreplicated"}, Protocol: "unreplicated",
			Replicas: 2, Cluster: l.Config, Workload: w, Seed: w.Seed, Result: r, Server: &srv})
	}
	rep.Finish()
	dir := t.TempDir()
	if err := WriteReport(dir, rep); err != nil {
		t.Fatal(err)
	}
	for _, pic := range []string{"latency_cdf", "throughput", "replica_load", "throughput_latency"} {
		b, err := os.ReadFile(filepath.Join(dir, pic+".png"))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil || img.Bounds().Dx() < 100 {
			t.Errorf("%s.png: %v", pic, err)
		}
		if s, err := os.ReadFile(filepath.Join(dir, pic+".svg")); err != nil || !bytes.Contains(s, []byte("<svg")) {
			t.Errorf("%s.svg: %v", pic, err)
		}
	}
	html, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil || !strings.Contains(string(html), `src="latency_cdf.svg"`) || !strings.Contains(string(html), "depth 4") {
		t.Errorf("index.html: %v\n%.500s", err, html)
	}
	var got map[string]any
	js, _ := os.ReadFile(filepath.Join(dir, "results.json"))
	if err := json.Unmarshal(js, &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"git_revision", "go_version", "machine", "started", "runs"} {
		if got[k] == nil {
			t.Errorf("results.json has no %s", k)
		}
	}
	run := got["runs"].([]any)[1].(map[string]any)
	res := run["result"].(map[string]any)
	for _, k := range []string{"throughput_ops_per_s", "p50_ns", "p99_9_ns", "ops_per_100ms", "replicas", "zones", "seconds"} {
		if _, ok := res[k]; !ok {
			t.Errorf("results.json runs[1].result has no %s: %v", k, res)
		}
	}
	for _, k := range []string{"workload", "cluster", "protocol", "seed", "server", "share_of_unreplicated"} {
		if run[k] == nil {
			t.Errorf("results.json runs[1] has no %s", k)
		}
	}
	if srv := run["server"].(map[string]any); srv["messages_per_command"] == nil {
		t.Errorf("no server figures: %v", srv)
	}
}

// TestRecordedHistoryIsChecked: a real cluster's history passes the
// checker; the same history with one read's value rewritten fails it.
func TestRecordedHistoryIsChecked(t *testing.T) {
	l, err := StartLocal("epaxos", 3, nil, "", false)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	w := DefaultWorkload()
	w.Duration, w.Warmup, w.Clients, w.Outstanding = paxi.Duration(500*time.Millisecond), paxi.Duration(time.Second), 1, 4
	w.Distribution, w.Keys, w.Writes, w.Check = "uniform", 4, 0.5, true
	r := shortRun(t, l, w)
	if len(r.History) < r.Ops {
		t.Fatalf("history of %d operations for %d measured", len(r.History), r.Ops)
	}
	if res := checker.CheckLinearizable(r.History, checker.Options{Timeout: 30 * time.Second}); res.Verdict != checker.Ok {
		t.Fatalf("the recorded history is not linearizable: %v", res)
	}
	bad := append([]checker.Operation(nil), r.History...)
	for i, op := range bad {
		if op.Op == "get" && !op.Pending() {
			bad[i].Value = "never-written"
			break
		}
	}
	if res := checker.CheckLinearizable(bad, checker.Options{Timeout: 30 * time.Second}); res.Verdict != checker.Illegal {
		t.Fatalf("a history with a rewritten read checks %v", res.Verdict)
	}
}

func TestClientsArePlacedByZone(t *testing.T) {
	targets := []paxi.ID{"1.1", "1.2", "2.1", "4.1"}
	w := DefaultWorkload()
	w.ClientsPerZone = map[string]int{"1": 2, "2": 1, "3": 1}
	if _, err := placeClients(w, targets); err == nil || !strings.Contains(err.Error(), "zone 3") {
		t.Fatalf("local clients of zone 3, which has no replica: %v", err)
	}
	w.TargetPolicy = "nearest"
	ps, err := placeClients(w, targets)
	want := []place{{"1.1", "1"}, {"1.2", "1"}, {"2.1", "2"}, {"2.1", "3"}}
	if err != nil || len(ps) != len(want) {
		t.Fatalf("%v %v", ps, err)
	}
	for i := range ps {
		if ps[i] != want[i] {
			t.Fatalf("placed %v, want %v", ps, want)
		}
	}
	w.TargetPolicy = "leader"
	ps, _ = placeClients(w, targets)
	for _, p := range ps {
		if p.target != "1.1" {
			t.Fatalf("leader policy sent a client to %s", p.target)
		}
	}
	w = DefaultWorkload()
	w.Concurrency = 3
	if ps, _ := placeClients(w, targets); len(ps) != 3 || ps[2].target != "2.1" {
		t.Fatalf("concurrency 3 placed %v", ps)
	}
}
