package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/agora-consensus/agora/internal/netutil"
	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/node"
	_ "github.com/agora-consensus/agora/protocols/unreplicated"
)

// startReplica runs one in-memory unreplicated replica and returns its
// client address.
func startReplica(t *testing.T) string {
	t.Helper()
	addrs, err := netutil.FreeLoopbackAddrs(2)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := paxi.ParseConfig([]byte(`{"replicas":[{"id":"1.1","peer":"` + addrs[0] + `","client":"` + addrs[1] + `"}],"algorithm":"unreplicated","tick":"5ms"}`))
	if err != nil {
		t.Fatal(err)
	}
	s, err := node.Start(cfg, "1.1", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return addrs[1]
}

func runCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// A value that starts with "-" used to be taken for a flag, and a value
// with spaces was refused (issue 13): the words after the key are the value.
func TestPutTakesTheRestOfTheLineAsTheValue(t *testing.T) {
	addr := startReplica(t)
	for _, tc := range []struct {
		put  []string
		want string
	}{
		{[]string{"put", "k", "-5"}, "-5"},
		{[]string{"put", "k", "--flag-like"}, "--flag-like"},
		{[]string{"--", "put", "k", "-x"}, "-x"},
		{[]string{"put", "k", "hello", "world"}, "hello world"},
		{[]string{"put", "k", "two  spaces"}, "two  spaces"},
	} {
		if code, out, errOut := runCmd(t, "", append([]string{"-addr", addr}, tc.put...)...); code != 0 || out != "OK\n" {
			t.Fatalf("%q: exit %d, stdout %q, stderr %q", tc.put, code, out, errOut)
		}
		if code, out, errOut := runCmd(t, "", "-addr", addr, "get", "k"); code != 0 || out != tc.want+"\n" {
			t.Fatalf("after %q: get k: exit %d, stdout %q, stderr %q; want %q", tc.put, code, out, errOut, tc.want)
		}
	}
	// The prompt keeps the value as typed, inner spaces included.
	code, out, _ := runCmd(t, "put k  -a  b \nget k\nquit\n", "-addr", addr)
	if code != 0 || !strings.Contains(out, "> -a  b\n") {
		t.Fatalf("prompt: exit %d, output %q; want the value \"-a  b\"", code, out)
	}
	if code, _, errOut := runCmd(t, "", "-addr", addr, "get", "k", "extra"); code == 0 || !strings.Contains(errOut, "usage") {
		t.Fatalf("get with two keys: exit %d, stderr %q; want a usage error", code, errOut)
	}
}
