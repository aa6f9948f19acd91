package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agora-consensus/agora/benchmark"
)

// Bad flags are refused with one line naming the flag, before anything
// starts.
func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-protocols", "nosuch"},
		{"-duration", "1m", "-down", "1m"},
		{"-snapshot-every", "-2"},
		{"-snapshot-log-bytes", "-2"},
		{"-sample", "0s"},
	} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != 2 {
			t.Fatalf("%v: exit %d, want 2 (%s)", args, code, errb.String())
		}
		if msg := strings.TrimSpace(errb.String()); strings.Count(msg, "\n") != 0 || !strings.Contains(msg, strings.TrimPrefix(args[0], "-")) {
			t.Fatalf("%v: error %q is not one line naming the flag", args, msg)
		}
	}
}

// A few seconds of the real thing (3 processes, a kill, a restart): the
// files are written and the four criteria printed. AGORA_SOAK_SMOKE=1
// runs it (about 15 s with the build).
func TestSoakSmoke(t *testing.T) {
	if os.Getenv("AGORA_SOAK_SMOKE") == "" {
		t.Skip("set AGORA_SOAK_SMOKE=1 to run 3 real processes for a few seconds")
	}
	dir := t.TempDir()
	var out, errb bytes.Buffer
	code := run([]string{"-protocols", "multipaxos", "-duration", "6s", "-down", "2s", "-sample", "1s", "-warmup", "0s",
		"-snapshot-log-bytes", "1048576", "-depth", "64", "-out", dir, "-quiet"}, &out, &errb)
	if code > 1 {
		t.Fatalf("exit %d:\n%s\n%s", code, out.String(), errb.String())
	}
	if n := strings.Count(out.String(), "PASS ") + strings.Count(out.String(), "FAIL "); n != 4 {
		t.Fatalf("want 4 PASS/FAIL lines, got %d:\n%s\n%s", n, out.String(), errb.String())
	}
	b, err := os.ReadFile(filepath.Join(dir, "multipaxos", "soak.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r benchmark.SoakResult
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if r.Ops == 0 || r.Restart.Seconds <= 0 || r.Restart.PeakBytes <= 0 || r.Victim != "1.3" || len(r.Samples) < 3*5 {
		t.Fatalf("soak.json: ops %d restart %+v victim %q samples %d\n%s", r.Ops, r.Restart, r.Victim, len(r.Samples), errb.String())
	}
	for _, s := range r.Samples {
		if s.Up && s.RSSBytes <= 0 {
			t.Fatalf("sample of a running replica without RSS: %+v", s)
		}
	}
}
