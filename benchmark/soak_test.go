package benchmark

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseProcStatus(t *testing.T) {
	status := "Name:\tserver\nVmPeak:\t  812344 kB\nVmHWM:\t   51200 kB\nVmRSS:\t   40960 kB\nThreads:\t7\n"
	for field, want := range map[string]int64{"VmRSS": 40 << 20, "VmHWM": 50 << 20} {
		got, err := parseProcStatus(strings.NewReader(status), field)
		if err != nil || got != want {
			t.Fatalf("%s = %d, %v; want %d", field, got, err, want)
		}
	}
	for _, bad := range []string{"VmRSS:\t12 MB\n", "VmRSS:\tlots kB\n", "Name:\tx\n"} {
		if _, err := parseProcStatus(strings.NewReader(bad), "VmRSS"); err == nil {
			t.Fatalf("%q parsed without error", bad)
		}
	}
	// This process's own status parses (Linux only).
	if _, err := os.Stat("/proc/self/status"); err == nil {
		if n, err := procStatusBytes(os.Getpid(), "VmRSS"); err != nil || n <= 0 {
			t.Fatalf("own VmRSS = %d, %v", n, err)
		}
	}
}

func TestDirBytesSumsFiles(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "a"), 0o755)
	os.WriteFile(filepath.Join(dir, "x"), make([]byte, 1000), 0o644)
	os.WriteFile(filepath.Join(dir, "a", "y"), make([]byte, 24), 0o644)
	if n := dirBytes(dir); n != 1024 {
		t.Fatalf("dirBytes = %d, want 1024", n)
	}
	if n := dirBytes(filepath.Join(dir, "missing")); n != 0 {
		t.Fatalf("missing dir = %d bytes", n)
	}
}

func TestSoakPhasesPutTheDowntimeInTheMiddle(t *testing.T) {
	b, a := soakPhases(10*time.Minute, 5*time.Minute)
	if b != 150*time.Second || a != 150*time.Second {
		t.Fatalf("10m with 5m down: before %v after %v", b, a)
	}
	if b, a := soakPhases(time.Minute, 0); b != time.Minute || a != 0 {
		t.Fatalf("no downtime: before %v after %v", b, a)
	}
}

// soakRun is 3 replicas, 1.3 down from 100 to 400 s, RSS of the others
// given per sample (every 50 s from 0).
func soakRun(rss12 []int64, dir int64) SoakResult {
	r := SoakResult{Victim: "1.3", KilledAt: 100, RejoinedAt: 400,
		Restart: RestartResult{Replica: "1.2", Seconds: 0.8, PeakBytes: 200 << 20}}
	for i, m := range rss12 {
		tm := float64(i * 50)
		for _, id := range []string{"1.1", "1.2"} {
			r.Samples = append(r.Samples, SoakSample{T: tm, Replica: id, Up: true, RSSBytes: m << 20, DirBytes: dir})
		}
		down := tm >= 100 && tm < 400
		s := SoakSample{T: tm, Replica: "1.3", Up: !down, DirBytes: dir}
		if !down {
			s.RSSBytes = 900 << 20 // the victim's own memory is not judged
		}
		r.Samples = append(r.Samples, s)
	}
	return r
}

func verdicts(t *testing.T, r SoakResult) map[string]Verdict {
	t.Helper()
	c := DefaultSoakCriteria()
	c.Warmup = 60 * time.Second
	m := map[string]Verdict{}
	for _, v := range c.Evaluate(r) {
		f := strings.Fields(v.Name)
		m[f[0]+" "+f[1]] = v
	}
	if len(m) != 4 {
		t.Fatalf("want 4 criteria, got %v", m)
	}
	return m
}

// rssRun is soakRun with a sample every 10 s, RSS f(t) MiB for 1.1 and 1.2.
func rssRun(f func(t float64) int64) SoakResult {
	r := soakRun(nil, 1)
	for tm := 0.0; tm < 500; tm += 10 {
		for _, id := range []string{"1.1", "1.2"} {
			r.Samples = append(r.Samples, SoakSample{T: tm, Replica: id, Up: true, RSSBytes: f(tm) << 20, DirBytes: 1})
		}
		down := tm >= 100 && tm < 400
		r.Samples = append(r.Samples, SoakSample{T: tm, Replica: "1.3", Up: !down, RSSBytes: 900 << 20, DirBytes: 1})
	}
	return r
}

func TestSoakCriteria(t *testing.T) {
	rss := func(name string, f func(t float64) int64, want bool) {
		t.Helper()
		if v := verdicts(t, rssRun(f))["RSS median"]; v.Pass != want {
			t.Fatalf("%s: pass %v, want %v: %s", name, v.Pass, want, v)
		}
	}
	// A sawtooth of x1.44 between samples, the same all up and down, after
	// a warm-up that is not judged (nor the victim's 900 MiB, nor 1.1 and
	// 1.2 after the rejoin).
	saw := func(tm float64) int64 {
		switch {
		case tm < 60:
			return 10
		case tm >= 400:
			return 500
		case int(tm/10)%2 == 0:
			return 90
		}
		return 130
	}
	rss("sawtooth", saw, true)
	rss("higher while down", func(tm float64) int64 {
		if tm >= 100 {
			return 150
		}
		return 100
	}, false)
	rss("growing while down", func(tm float64) int64 {
		if tm >= 100 {
			return 90 + int64(tm-100)/8 // 90 to 127 MiB: the median is within 20%, the trend is not
		}
		return 100
	}, false)
	// A rise in the first 100 s of the downtime is not judged with
	// DownSettle 100 s, and the rest is flat.
	c := DefaultSoakCriteria()
	c.Warmup, c.DownSettle = 60*time.Second, 100*time.Second
	for _, v := range c.Evaluate(rssRun(func(tm float64) int64 {
		if tm >= 100 && tm < 200 {
			return 300
		}
		return 100
	})) {
		if strings.HasPrefix(v.Name, "RSS") && !v.Pass {
			t.Fatalf("DownSettle 100 s: %s", v)
		}
	}
	ok := soakRun([]int64{10, 30, 100, 110, 115, 118, 119, 120, 300}, 100<<20)
	for name, v := range verdicts(t, ok) {
		if !v.Pass && !strings.HasPrefix(name, "RSS") {
			t.Fatalf("%s failed on a good run: %s", name, v)
		}
	}
	big := soakRun([]int64{100, 100, 100}, 256<<20)
	if v := verdicts(t, big)["data dir"]; v.Pass {
		t.Fatalf("a 256 MiB data dir passed: %s", v)
	}
	slow := soakRun([]int64{100, 100, 100}, 1)
	slow.Restart.Seconds, slow.Restart.PeakBytes = 2.5, 600<<20
	vs := verdicts(t, slow)
	if vs["restart to"].Pass || vs["restart peak"].Pass {
		t.Fatalf("restart criteria passed a 2.5 s, 600 MiB restart: %v", vs)
	}
	never := soakRun([]int64{100, 100, 100}, 1)
	never.Restart = RestartResult{Replica: "1.2", Err: "not serving after 2m0s"}
	if v := verdicts(t, never)["restart to"]; v.Pass || !strings.Contains(v.Detail, "not serving") {
		t.Fatalf("a replica that never served passed: %s", v)
	}
	if v := verdicts(t, SoakResult{})["data dir"]; v.Pass {
		t.Fatalf("a run without samples passed: %s", v)
	}
}

func TestWriteSoakFiles(t *testing.T) {
	dir := t.TempDir()
	r := soakRun([]int64{10, 30, 100, 110}, 5<<20)
	r.Algorithm, r.N = "multipaxos", 3
	if err := WriteSoakFiles(dir, r); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "soak.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(rows) != 1+len(r.Samples) || rows[0][0] != "t_s" || rows[1][1] != "1.1" {
		t.Fatalf("soak.csv: %d rows, %v", len(rows), err)
	}
	for _, f := range []string{"soak.json", "soak.png", "soak.svg"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Fatalf("%s not written: %v", f, err)
		}
	}
}
