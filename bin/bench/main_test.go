package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agora-consensus/agora/internal/cli/clitest"
)

func TestBadFlagsPrintTheErrorAndAHint(t *testing.T) {
	clitest.BadFlags(t, "bench", func(args []string, stderr *bytes.Buffer) int { return run(args, io.Discard, stderr) },
		[]string{"-duration", "5"}, "invalid argument \"5\"")
}

func TestBadListsAreRefused(t *testing.T) {
	for _, args := range [][]string{{"-protocols", "nosuch"}, {"-n", "0"}, {"-conflicts", "101"}, {"-depths", "x"}, {"-rates", "-5"}} {
		var errb bytes.Buffer
		if code := run(append(args, "-out", t.TempDir()), io.Discard, &errb); code != 2 || strings.Count(errb.String(), "\n") != 1 {
			t.Errorf("%v: exit %d, %q; want 2 and one line", args, code, errb.String())
		}
	}
}

// TestOneCommandSweep: real bin/server processes, two protocols, two
// depths; one table, one results directory with the pictures.
func TestOneCommandSweep(t *testing.T) {
	if testing.Short() {
		t.Skip("builds bin/server and runs replica processes")
	}
	dir := t.TempDir()
	var out, errb bytes.Buffer
	code := run([]string{"-protocols", "unreplicated,multipaxos", "-n", "3", "-conflicts", "0", "-depths", "1,8",
		"-duration", "400ms", "-warmup", "600ms", "-out", dir, "-quiet"}, &out, &errb)
	t.Logf("%s%s", out.String(), errb.String())
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, proto := range []string{"unreplicated", "multipaxos"} {
		if !strings.Contains(out.String(), proto) {
			t.Errorf("no %s row in the table", proto)
		}
	}
	var rep struct {
		Runs []struct {
			Protocol string `json:"protocol"`
			Result   struct {
				Ops int `json:"ops"`
			} `json:"result"`
			Server *struct {
				CPU int64 `json:"server_cpu_per_command_ns"`
			} `json:"server"`
		} `json:"runs"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil || len(rep.Runs) != 6 {
		t.Fatalf("%d runs (%v), want 2 protocols x (low-load + 2 depths)", len(rep.Runs), err)
	}
	for _, r := range rep.Runs {
		if r.Result.Ops == 0 || r.Server == nil || r.Server.CPU <= 0 {
			t.Errorf("%s: ops %d server %v", r.Protocol, r.Result.Ops, r.Server)
		}
	}
	for _, f := range []string{"index.html", "throughput_latency.png", "latency_cdf.svg", "replica_load.png"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "server")); err == nil {
		t.Errorf("the server binary built for the run was left in the results")
	}
}
