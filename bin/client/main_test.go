package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agora-consensus/agora/benchmark"
	"github.com/agora-consensus/agora/checker"
	_ "github.com/agora-consensus/agora/protocols/all"
)

// startCluster starts an in-process cluster of real replicas on loopback
// and writes its configuration, claiming the algorithm claimed, to a file.
func startCluster(t *testing.T, algorithm, claimed string, n int) (*benchmark.Local, string) {
	t.Helper()
	l, err := benchmark.StartLocal(algorithm, n, nil, "", false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	cfg := *l.Config
	cfg.Algorithm = claimed
	b, err := json.Marshal(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return l, path
}

// TestMain runs the tests in a scratch directory: the client writes its
// results directory under ./results by default.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "client-test")
	if err == nil {
		err = os.Chdir(dir)
	}
	if err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func runClient(args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return out.String(), errb.String(), code
}

// TestLabelIsTheAlgorithmTheClusterRuns: config.json says epaxos, the
// replicas run unreplicated (as `server -algorithm` allows); the result is
// labelled with what /status says they run.
func TestLabelIsTheAlgorithmTheClusterRuns(t *testing.T) {
	_, path := startCluster(t, "unreplicated", "epaxos", 3)
	out, errs, code := runClient("-config", path, "-duration", "300ms", "-warmup", "1s", "-clients", "1", "-outstanding", "2")
	if code != 0 || !strings.HasPrefix(out, "unreplicated ") {
		t.Fatalf("exit %d; want the result labelled unreplicated:\n%s%s", code, out, errs)
	}
	if !strings.Contains(errs, "epaxos") || !strings.Contains(errs, "unreplicated") {
		t.Fatalf("no warning that config.json names another algorithm:\n%s", errs)
	}
}

// TestFailuresAreCountedPerReplica: of three replicas, 1.1 is down before
// the run and 1.2 dies during it. The run goes on with 1.3, and the report
// names both: 1.1 unreachable, 1.2 lost with the commands it left failed or
// unanswered counted; the exit status says the run was not clean.
func TestFailuresAreCountedPerReplica(t *testing.T) {
	// unreplicated: each replica serves its clients alone, so the others
	// are not slowed by the deaths and only the client's accounting is
	// under test.
	l, path := startCluster(t, "unreplicated", "unreplicated", 3)
	l.Servers[0].Close()
	// 1.2 dies well inside the warm-up, so 1.3's measured commands all come
	// after the death: they show that its clients went on.
	kill := time.AfterFunc(300*time.Millisecond, func() { l.Servers[1].Close() })
	defer kill.Stop()
	out, errs, code := runClient("-config", path, "-duration", "300ms", "-warmup", "1s", "-clients", "2", "-outstanding", "4")
	t.Logf("exit %d\n%s%s", code, out, errs)
	if code != 1 {
		t.Errorf("exit %d, want 1 for a run that lost replicas", code)
	}
	if ops := field(t, firstLine(out), "ops"); ops == 0 {
		t.Errorf("1.3 measured nothing after 1.2 died")
	}
	if l11 := replicaLine(out, "1.1"); !strings.Contains(l11, "unreachable") {
		t.Errorf("1.1, down at start, is not reported as unreachable: %q", l11)
	}
	l12 := replicaLine(out, "1.2")
	if !strings.Contains(l12, "lost") || field(t, l12, "failed")+field(t, l12, "unanswered") == 0 {
		t.Errorf("1.2, dead mid-run, is not reported lost with its failed or unanswered commands: %q", l12)
	}
	if total := field(t, firstLine(out), "failed") + field(t, firstLine(out), "unanswered"); total == 0 {
		t.Errorf("the summary counts no failed or unanswered command")
	}
	if l13 := replicaLine(out, "1.3"); l13 != "" {
		t.Errorf("1.3 served throughout but is reported: %q", l13)
	}
}

func firstLine(s string) string { return strings.SplitN(s, "\n", 2)[0] }

// replicaLine is the report's line about one replica, "" when none.
func replicaLine(out, id string) string {
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "replica "+id+" ") {
			return line
		}
	}
	return ""
}

// field reads name=N from a report line; a missing field fails the test.
func field(t *testing.T, line, name string) int {
	t.Helper()
	m := regexp.MustCompile(`\b` + name + `=(\d+)`).FindStringSubmatch(line)
	if m == nil {
		t.Errorf("no %s= in %q", name, line)
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestBadValuesAreRefused: a value out of range stops the client before it
// connects, with exit 2 and one line naming the flag. Negative and zero
// values used to be taken for "not given" and silently replaced by the
// workload's.
func TestBadValuesAreRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	cfg := `{"replicas":[{"id":"1.1","peer":"127.0.0.1:1","client":"127.0.0.1:2","http":"127.0.0.1:3"}],"algorithm":"epaxos"}`
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ flag, value string }{
		{"conflicts", "-3"}, {"conflicts", "250"}, {"conflict", "101"},
		{"writes", "-0.5"}, {"writes", "2"},
		{"clients", "0"}, {"clients", "-1"}, {"outstanding", "0"},
		{"duration", "0s"}, {"duration", "-1s"}, {"warmup", "-1s"},
	}
	for _, c := range cases {
		t.Run(c.flag+"="+c.value, func(t *testing.T) {
			out, errs, code := runClient("-config", path, "-"+c.flag, c.value)
			lines := strings.Split(strings.TrimSpace(errs), "\n")
			name := strings.TrimSuffix(c.flag, "s") // "conflict" names -conflicts too
			if code != 2 || out != "" || len(lines) != 1 || !strings.Contains(lines[0], name) {
				t.Fatalf("want exit 2 and one line naming %s; got exit %d:\n%s%s", c.flag, code, out, errs)
			}
		})
	}
}

// TestHistoryIsWrittenAndChecked: -history writes every operation in
// docs/HISTORY.md's format, -check prints the verdict, and -out holds the
// results directory.
func TestHistoryIsWrittenAndChecked(t *testing.T) {
	_, path := startCluster(t, "epaxos", "epaxos", 3)
	dir := t.TempDir()
	hist := filepath.Join(dir, "h.jsonl")
	out, errs, code := runClient("-config", path, "-duration", "300ms", "-warmup", "1s", "-clients", "1", "-outstanding", "2",
		"-distribution", "uniform", "-keys", "3", "-writes", "0.5", "-history", hist, "-check", "-out", filepath.Join(dir, "res"))
	if code != 0 || !strings.Contains(errs, "linearizable: ok") {
		t.Fatalf("exit %d; want a checked run:\n%s%s", code, out, errs)
	}
	f, err := os.Open(hist)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ops, err := checker.ReadHistory(f)
	if err != nil || len(ops) < field(t, firstLine(out), "ops") {
		t.Fatalf("history: %d operations, %v", len(ops), err)
	}
	for _, name := range []string{"results.json", "index.html", "latency_cdf.png"} {
		if st, err := os.Stat(filepath.Join(dir, "res", name)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
}
