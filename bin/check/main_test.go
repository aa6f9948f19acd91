package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const linearizable = `{"client":1,"op":"put","key":"k","value":"v-1-1","call":0,"return":10}
{"client":2,"op":"get","key":"k","value":"v-1-1","call":11,"return":20}
`

const stale = `{"client":1,"op":"put","key":"k","value":"v-1-1","call":0,"return":10}
{"client":1,"op":"put","key":"k","value":"v-1-2","call":11,"return":20}
{"client":2,"op":"get","key":"k","value":"v-1-1","call":21,"return":30}
`

func writeFile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "history.jsonl")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func runCheck(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestLinearizableHistoryExitsZero(t *testing.T) {
	if code, out, errOut := runCheck(t, writeFile(t, linearizable), "-timeout", "60s"); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
}

func TestStaleReadExitsOneWithExplanationAndTimeline(t *testing.T) {
	html := filepath.Join(t.TempDir(), "out.html")
	code, out, errOut := runCheck(t, writeFile(t, stale), "-html", html, "--timeout=60s")
	if code != 1 || !strings.Contains(out, "not linearizable") || !strings.Contains(out, "Why:") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	page, err := os.ReadFile(html)
	if err != nil || !bytes.Contains(page, []byte("<svg")) || !bytes.Contains(page, []byte("#e74c3c")) {
		t.Fatalf("no timeline with a marked operation in %s: %v", html, err)
	}
}

func TestMalformedLineExitsTwoNamingTheLine(t *testing.T) {
	bad := linearizable + `{"client":3,"op":"cas","key":"k","value":"x","call":30,"return":40}` + "\n"
	code, _, errOut := runCheck(t, writeFile(t, bad))
	if code != 2 || !strings.Contains(errOut, "line 3") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

func TestTimeLimitExitsThreeWithUnknown(t *testing.T) {
	code, out, _ := runCheck(t, writeFile(t, linearizable), "-timeout", "1ns")
	if code != 3 || !strings.Contains(out, "unknown") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	if code, _, _ := runCheck(t); code != 2 {
		t.Fatalf("no arguments: exit %d", code)
	}
	if code, _, _ := runCheck(t, "x", "-bogus"); code != 2 {
		t.Fatalf("unknown flag: exit %d", code)
	}
}
