package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

func TestSnapshotSettings(t *testing.T) {
	got, err := snapshotSettings("-1,200000,-1,200000", "-1")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		every, bytes int64
		label        string
	}{
		{-1, -1, " snapshots off (every -1, log bytes -1)"},
		{200000, -1, " snapshots on (every 200000, log bytes -1)"},
		{-1, -1, " snapshots off (every -1, log bytes -1) #2"},
		{200000, -1, " snapshots on (every 200000, log bytes -1) #2"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d settings, want %d", len(got), len(want))
	}
	for i, w := range want {
		if g := got[i]; g.every != w.every || g.bytes != w.bytes || g.label != w.label {
			t.Fatalf("setting %d = %+v, want %+v", i, g, w)
		}
	}
	if got, _ := snapshotSettings("", ""); len(got) != 1 || got[0].label != "" || got[0].dir != "" {
		t.Fatalf("no flags: %+v, want one default cluster", got)
	}
	if got, _ := snapshotSettings("-1", "-1,33554432"); len(got) != 2 || got[1].every != -1 || got[1].bytes != 32<<20 || !strings.Contains(got[0].label, "off") {
		t.Fatalf("one -snapshot-every with two byte values: %+v", got)
	}
	// 0 bytes is the servers' default, which takes snapshots.
	if got, _ := snapshotSettings("-1", "0"); len(got) != 1 || !strings.Contains(got[0].label, " on ") {
		t.Fatalf("-snapshot-every -1 with the default byte trigger: %+v, want a cluster labelled on", got)
	}
	for _, bad := range [][2]string{{"-2", ""}, {"", "-2"}, {"1,2", "1,2,3"}, {"x", ""}} {
		if _, err := snapshotSettings(bad[0], bad[1]); err == nil {
			t.Fatalf("%q %q accepted", bad[0], bad[1])
		}
	}
}

func TestBadSnapshotFlagsAreOneLine(t *testing.T) {
	for _, args := range [][]string{{"-snapshot-every", "-5"}, {"-snapshot-log-bytes", "1,2", "-snapshot-every", "1,2,3"}} {
		var errb bytes.Buffer
		if code := run(append(args, "-out", t.TempDir()), io.Discard, &errb); code != 2 || strings.Count(errb.String(), "\n") != 1 || !strings.Contains(errb.String(), "-snapshot") {
			t.Errorf("%v: exit %d, %q; want 2 and one line naming the flag", args, code, errb.String())
		}
	}
}
