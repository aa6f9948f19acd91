package node

import (
	"bytes"
	"os"
	"testing"
)

// A second replica with the same id must not open the live replica's log,
// and above all must not "repair" what looks like a torn tail under it
// (issue 13): it stops at the directory lock, before the log is read.
func TestSecondReplicaOnOneLogStopsAtTheLock(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, 1, "unreplicated", dir)
	s, err := Start(cfg, "1.1", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	putOne(t, cfg, "1.1")
	path := StorePath(dir, "1.1")
	// Half a record, as the live replica may have in flight: a second
	// opener would take it for a torn tail and cut it off.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte{9, 0, 0, 0, 1, 2}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	startFails(t, cfg, StartOptions{}, dir, "another process")
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Fatalf("the second start changed the live log: %d bytes before, %d after", len(before), len(after))
	}
}
