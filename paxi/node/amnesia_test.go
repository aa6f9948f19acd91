package node

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A replica that persisted something and then lost its log would rejoin
// having forgotten its votes and promises; it must refuse unless told
// -fresh (issue 13).
func TestReplicaWithoutItsLogRefusesToStart(t *testing.T) {
	for _, tc := range []struct {
		name string
		lose func(path string) error
	}{
		{"deleted", os.Remove},
		{"emptied", func(p string) error { return os.Truncate(p, 0) }},
		{"cut to its header", func(p string) error { return os.Truncate(p, int64(len("AGORALG1"))) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "state")
			cfg := testConfig(t, 1, "unreplicated", dir)
			s, err := Start(cfg, "1.1", nil)
			if err != nil {
				t.Fatalf("first start in a new directory: %v", err)
			}
			putOne(t, cfg, "1.1")
			s.Close()
			if err := tc.lose(StorePath(dir, "1.1")); err != nil {
				t.Fatal(err)
			}
			startFails(t, cfg, StartOptions{}, StorePath(dir, "1.1"), "-fresh")
			// Refusing twice is the same refusal: the first did not
			// recreate the log and so forget that it was lost.
			startFails(t, cfg, StartOptions{}, "-fresh")
			s, err = StartWith(cfg, "1.1", StartOptions{Fresh: true})
			if err != nil {
				t.Fatalf("start with Fresh: %v", err)
			}
			s.Close()
			// Fresh started a new replica; it has persisted nothing, so a
			// plain restart is fine.
			s, err = Start(cfg, "1.1", nil)
			if err != nil {
				t.Fatalf("restart of the fresh replica: %v", err)
			}
			s.Close()
		})
	}
}

// The common cases must just work: a new directory, a restart of a replica
// that never persisted anything, and a restart with its log intact.
func TestReplicaStartsOnNewDirAndRestartsWithItsLog(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "state")
	cfg := testConfig(t, 1, "unreplicated", dir)
	for i := 0; i < 2; i++ {
		s, err := Start(cfg, "1.1", nil)
		if err != nil {
			t.Fatalf("start %d of an idle replica: %v", i, err)
		}
		s.Close()
	}
	s, err := Start(cfg, "1.1", nil)
	if err != nil {
		t.Fatal(err)
	}
	putOne(t, cfg, "1.1")
	s.Close()
	s, err = Start(cfg, "1.1", nil)
	if err != nil {
		t.Fatalf("restart with its log: %v", err)
	}
	defer s.Close()
	c := dialReplica(t, cfg, "1.1")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if v, err := c.Get(ctx, "k"); err != nil || v != "v" {
		t.Fatalf("restored k = %q, %v; want v", v, err)
	}
}

// Fresh never throws away a log that holds records.
func TestFreshRefusesALogWithRecords(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, 1, "unreplicated", dir)
	writeRecords(t, dir, "1.1", record("a"))
	startFails(t, cfg, StartOptions{Fresh: true}, StorePath(dir, "1.1"), "1 record")
}
