package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadValuesAreRefused gives each flag a value out of its range: the
// run must stop before simulating anything, with exit 2 and one line on
// stderr that names the flag (no panic, no report of zeros).
func TestBadValuesAreRefused(t *testing.T) {
	cases := []struct {
		flag string
		args []string
	}{
		{"-conflicts", []string{"-conflicts", "250"}},
		{"-conflicts", []string{"-conflict", "-3"}},
		{"-conflicts", []string{"-conflict", "100.5"}},
		{"-n", []string{"-n", "0"}},
		{"-n", []string{"-n", "-2", "-latency", "lan"}},
		{"-duration", []string{"-duration", "1s"}}, // not longer than the default 1 s warm-up
		{"-duration", []string{"-duration", "2s", "-warmup", "3s"}},
		{"-duration", []string{"-duration", "0s"}},
		{"-warmup", []string{"-warmup", "-1s"}},
		{"-clients", []string{"-clients", "0"}},
		{"-clients", []string{"-clients", "-1"}},
		{"-keys", []string{"-keys", "0"}},
		{"-writes", []string{"-writes", "1.5"}},
		{"-writes", []string{"-writes", "-0.1"}},
		{"-drop", []string{"-drop", "2"}},
		{"-duplicate", []string{"-duplicate", "-1"}},
		{"-bandwidth", []string{"-bandwidth", "-5"}},
		{"-rate", []string{"-rate", "-1"}},
		{"-zipf", []string{"-zipf", "NaN"}},
		{"-tick", []string{"-tick", "0s"}},
		{"-think", []string{"-think", "-1s"}},
		{"-client-timeout", []string{"-client-timeout", "-1s"}},
		{"-liveness", []string{"-liveness", "0s"}},
		{"-reorder", []string{"-reorder", "-1ms"}},
		{"-quiesce", []string{"-faults", "random", "-quiesce", "-1s"}},
		{"-faults-stop", []string{"-faults", "random", "-faults-stop", "-1s"}},
		{"-cpu-message", []string{"-cpu-message", "-1us"}},
		{"-cpu-send", []string{"-cpu-send", "-1us"}},
		{"-cpu-execute", []string{"-cpu-execute", "-1us"}},
		{"-cpu-persist", []string{"-cpu-persist", "-1us"}},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			stdout, stderr, code := runSplit(t, append([]string{"-protocol", "simtest-pb"}, c.args...)...)
			assertRefused(t, c.flag, stdout, stderr, code)
		})
	}
}

// TestBadConfigValuesAreRefused is the same for values from a -config file,
// and for the old "conflict" field, a fraction, which would silently mean
// a hundredth of what it used to as a percentage.
func TestBadConfigValuesAreRefused(t *testing.T) {
	cases := []struct {
		name, json string
	}{
		{"conflicts", `{"protocol":"simtest-pb","n":3,"conflicts":250}`},
		{"conflict", `{"protocol":"simtest-pb","n":3,"conflict":0.5}`},
		{"n", `{"protocol":"simtest-pb","n":-1}`},
		{"duration", `{"protocol":"simtest-pb","n":3,"duration":"1s","warmup":"2s"}`},
		{"drop", `{"protocol":"simtest-pb","n":3,"links":{"drop":1.5}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "sim.json")
			if err := os.WriteFile(path, []byte(c.json), 0o644); err != nil {
				t.Fatal(err)
			}
			stdout, stderr, code := runSplit(t, "-config", path)
			assertRefused(t, c.name, stdout, stderr, code)
		})
	}
}

// TestConfigWithoutReplicasUsesTheDefault: a file that gives neither n,
// sites nor replicas gets the -n default, as every absent field gets its
// flag's default (it used to panic building a matrix of zero sites).
func TestConfigWithoutReplicasUsesTheDefault(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sim.json")
	if err := os.WriteFile(path, []byte(`{"protocol":"simtest-pb","duration":"2s","clients":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := runSplit(t, "-config", path)
	if code != exitOK || !strings.Contains(stdout, "replicas=[1.1 2.1 3.1 4.1 5.1]") {
		t.Fatalf("exit %d:\n%s%s", code, stdout, stderr)
	}
}

// TestConflictsIsAPercentage: -conflicts and its old name -conflict take a
// percentage, as bin/client's -conflicts and the paper do; the simulator's
// Workload takes the fraction.
func TestConflictsIsAPercentage(t *testing.T) {
	cfg, err := (&fileConfig{N: 3, Latency: "lan", Conflict: 25}).simConfig("simtest-pb")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Workload.Conflict != 0.25 {
		t.Fatalf("-conflicts 25 gave the simulator a conflict fraction of %g, want 0.25", cfg.Workload.Conflict)
	}
	args := []string{"-protocol", "simtest-pb", "-n", "3", "-latency", "lan", "-duration", "2s", "-clients", "2", "-keys", "1", "-writes", "1"}
	a, _, code := runSplit(t, append(args, "-conflicts", "100")...)
	b, _, _ := runSplit(t, append(args, "-conflict", "100")...)
	if code != exitOK || strip(a) != strip(b) {
		t.Fatalf("-conflicts and -conflict differ (exit %d):\n%s\n%s", code, a, b)
	}
}

func runSplit(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return out.String(), errb.String(), code
}

func assertRefused(t *testing.T, name, stdout, stderr string, code int) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if code != exitUsage || stdout != "" || len(lines) != 1 || !strings.Contains(lines[0], name) {
		t.Fatalf("want exit %d and one line on stderr naming %s; got exit %d, stderr:\n%s\nstdout:\n%.500s",
			exitUsage, name, code, stderr, stdout)
	}
}
