package main

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/agora-consensus/agora/internal/cli/clitest"
)

func TestBadFlagsPrintTheErrorAndAHint(t *testing.T) {
	clitest.BadFlags(t, "eval", func(args []string, stderr *bytes.Buffer) int { return run(args, io.Discard, stderr) },
		[]string{"-duration", "5"}, "invalid argument \"5\"")
}

func TestUnknownExperimentIsAUsageError(t *testing.T) {
	var stderr bytes.Buffer
	if code := run([]string{"-only", "nonsense"}, io.Discard, &stderr); code != 2 {
		t.Fatalf("exit %d, want 2; stderr %q", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "widearea") {
		t.Fatalf("stderr %q does not list the experiments", stderr.String())
	}
}

// One quick experiment passes its checks and exits 0.
func TestQuickLeaderPlacement(t *testing.T) {
	var out, stderr bytes.Buffer
	if code := run([]string{"-quick", "-only", "leader"}, &out, &stderr); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out.String(), stderr.String())
	}
	if !strings.Contains(out.String(), "leader placement") {
		t.Fatalf("no table in:\n%s", out.String())
	}
}
