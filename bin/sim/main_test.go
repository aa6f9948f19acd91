package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/agora-consensus/agora/internal/longtest"
	"github.com/agora-consensus/agora/paxi"
)

func runSim(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return out.String() + errb.String(), code
}

func TestRunsBothFlagStyles(t *testing.T) {
	a, code := runSim(t, "-protocol", "simtest-pb", "-n", "3", "-duration", "2s", "-seed", "5")
	if code != exitOK || !strings.Contains(a, "linearizable=ok") {
		t.Fatalf("exit %d:\n%s", code, a)
	}
	b, _ := runSim(t, "--protocol=simtest-pb", "--n=3", "--duration=2s", "--seed=5")
	if strip(a) != strip(b) {
		t.Fatalf("single- and double-dash runs differ:\n%s\n%s", a, b)
	}
}

// strip drops the wall-clock figures, the only nondeterministic output.
func strip(s string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if i := strings.Index(line, "wall="); i >= 0 {
			line = line[:i]
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

func TestTraceIsReproducible(t *testing.T) {
	args := []string{"-protocol", "simtest-pb", "-n", "3", "-duration", "1s", "-warmup", "0s", "-seed", "9", "-faults", "random", "-avoid", "1.1", "-trace"}
	a, code := runSim(t, args...)
	b, _ := runSim(t, args...)
	if code != exitOK || strip(a) != strip(b) || !strings.Contains(a, "simtest.Accept") {
		t.Fatalf("exit %d; traces differ or lack messages:\n%.2000s", code, a)
	}
}

func TestConfigFileAndFailureExit(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sim.json")
	cfg := `{"protocol":"simtest-pb","params":{"bug":"local_reads"},"sites":["CA","VA","EU"],"clients":3,
		"keys":1,"conflicts":100,"duration":"3s","schedule":[{"at":"1s","crash":"3.1"},{"at":"2s","restart":"3.1"}]}`
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code := runSim(t, "-config", path, "-seed", "3")
	if code != exitFail || !strings.Contains(out, "not linearizable") || !strings.Contains(out, "replay: go run ./bin/sim --protocol simtest-pb --config") {
		t.Fatalf("want a linearizability failure with a replay line, exit %d:\n%s", code, out)
	}
	if !strings.Contains(out, "replicas=[1.1 2.1 3.1]") || !strings.Contains(out, "seed=3") {
		t.Fatalf("config or flag override ignored:\n%s", out)
	}
}

func TestSwarmPrintsFailingSeeds(t *testing.T) {
	out, code := runSim(t, "-protocol", "simtest-pb", "-params", `{"bug":"swap_order"}`, "-n", "3",
		"-keys", "1", "-conflicts", "100", "-writes", "1", "-duration", "1s", "-warmup", "0s", "-seeds", "4")
	if code != exitFail || strings.Count(out, "FAIL simtest-pb seed=") != 4 || !strings.Contains(out, "--seed 4") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestExampleConfigRuns(t *testing.T) {
	out, code := runSim(t, "-config", "example.json", "-duration", "4s", "-clients", "2")
	if code != exitOK || !strings.Contains(out, "checks: run=ok linearizable=ok execution=ok liveness=ok") ||
		!strings.Contains(out, "faults: ") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

// TestShortSwarm is the CI swarm: every replicated protocol under random
// crashes, restarts, partitions and loss, 4 seeds each by default, 30 with
// AGORA_LONG=1 (CI's long step; 30 seeds of the three protocols took 157 s
// of the default run's 174 s) and 2 under -short, for the race detector
// (two, so that the swarm's two workers run at once; with 3 seeds this
// package took 756 s under -race -short on a loaded machine). A failing seed prints the
// command that replays it. The long swarm is the same command with -seeds
// 1000 (see the README).
func TestShortSwarm(t *testing.T) {
	seeds := strconv.Itoa(longtest.Pick(2, 4, 30))
	for _, proto := range paxi.Names() {
		// unreplicated serves clients alone, with nothing to agree on;
		// simtest-pb is the simulator's own test double, whose backups
		// do not catch up after a restart.
		if proto == "unreplicated" || strings.HasPrefix(proto, "simtest") {
			continue
		}
		t.Run(proto, func(t *testing.T) {
			out, code := runSim(t, "-protocol", proto, "-n", "3", "-latency", "lan", "-duration", "5s",
				"-seeds", seeds, "-faults", "random", "-quiesce", "500ms")
			if code != exitOK {
				t.Fatalf("exit %d:\n%s", code, out)
			}
		})
	}
}

// TestSwarmParallelSameOutput checks that -parallel changes only how many
// seeds run at once: the failing seeds and their lines come out the same,
// in seed order, and the replay lines do not carry it.
func TestSwarmParallelSameOutput(t *testing.T) {
	args := []string{"-protocol", "simtest-pb", "-params", `{"bug":"swap_order"}`, "-n", "3",
		"-keys", "1", "-conflicts", "100", "-writes", "1", "-duration", "1s", "-warmup", "0s", "-seeds", "5"}
	one, code := runSim(t, append(args, "-parallel", "1")...)
	three, _ := runSim(t, append(args, "-parallel", "3")...)
	untimed := func(s string) string { return s[:strings.LastIndex(s, "(")] }
	if code != exitFail || strings.Count(one, "FAIL simtest-pb seed=") != 5 || untimed(one) != untimed(three) {
		t.Fatalf("exit %d; -parallel 1 and 3 differ:\n%s\n%s", code, one, three)
	}
	if strings.Contains(three, "--parallel") {
		t.Fatalf("a replay line keeps -parallel, which a single seed rejects nothing of but means nothing to:\n%s", three)
	}
	if _, code := runSim(t, append(args, "-parallel", "0")...); code != exitUsage {
		t.Fatalf("-parallel 0: exit %d, want %d", code, exitUsage)
	}
}

// -snapshot-every turns the simulated snapshots on (the crashes of
// -snapshot-crash-every show they are taken), and bad values are refused.
func TestSnapshotFlags(t *testing.T) {
	out, code := runSim(t, "-protocol", "epaxos", "-n", "3", "-latency", "lan", "-clients", "4", "-keys", "3", "-conflicts", "50",
		"-client-timeout", "1s", "-duration", "3s", "-snapshot-every", "40", "-snapshot-crash-every", "3", "-seed", "1")
	if code != exitOK || !strings.Contains(out, "faults: ") || !strings.Contains(out, "liveness=ok") {
		t.Fatalf("exit %d, want crashes at snapshot steps and every check passing:\n%s", code, out)
	}
	for _, args := range [][]string{{"-snapshot-every", "-1"}, {"-snapshot-crash-every", "2"}} {
		if out, code := runSim(t, args...); code != exitUsage || !strings.Contains(out, "-snapshot-every") {
			t.Fatalf("%v: exit %d, want %d naming the flag:\n%s", args, code, exitUsage, out)
		}
	}
}
