package node

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/storage"
	"github.com/agora-consensus/agora/protocols/multipaxos"
)

// snapshot_every and snapshot_log_bytes each trigger a snapshot on their
// own, whichever comes first; -1 and 0 switch each off, both off (the
// default) means no snapshotter.
func TestSnapshotTriggers(t *testing.T) {
	st, err := storage.OpenLog(filepath.Join(t.TempDir(), "log"), storage.LogOptions{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	proto := checkpointOnly{}
	mk := func(every, bytes int64) *snapshotter {
		return newSnapshotter(&paxi.Config{SnapshotEvery: every, SnapshotLogBytes: bytes}, st, proto)
	}
	if mk(-1, 0) != nil {
		t.Fatal("snapshots taken with both triggers off")
	}
	rec := make([]byte, 100)
	s := mk(-1, 1000)
	for i := 0; i < 9; i++ {
		s.noteLogged([][]byte{rec})
	}
	if s.due(1 << 40) {
		t.Fatal("snapshot_every -1 still triggers on commands")
	}
	s.noteLogged([][]byte{rec})
	if !s.due(0) {
		t.Fatal("1000 bytes logged with snapshot_log_bytes 1000 did not trigger")
	}
	s = mk(50, 1_000_000)
	if s.due(49) || !s.due(50) {
		t.Fatal("snapshot_every 50 does not trigger at exactly 50 commands")
	}
	if mk(0, 0) != nil {
		t.Fatal("snapshots taken by default (snapshot_every and snapshot_log_bytes absent)")
	}
	var nilSnap *snapshotter
	nilSnap.noteLogged([][]byte{rec}) // no snapshots: counting is a no-op
}

type checkpointOnly struct{ paxi.Protocol }

func (checkpointOnly) Checkpoint() []paxi.Message { return nil }

// With only the byte trigger, real replicas snapshot and truncate.
func TestReplicasSnapshotByLogBytes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	cfg := testConfig(t, 3, "multipaxos", dir)
	cfg.SnapshotEvery, cfg.SnapshotLogBytes = -1, 4096
	var ss []*Server
	for _, id := range cfg.IDs() {
		s, err := Start(cfg, id, nil)
		if err != nil {
			t.Fatal(err)
		}
		ss = append(ss, s)
	}
	c := dialReplica(t, cfg, "1.1")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const keys = 200
	for i := range keys {
		if err := c.Put(ctx, fmt.Sprint("k", i), fmt.Sprint("v", i)); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range ss {
		for s.Node().ExecutedCount() < keys && ctx.Err() == nil {
			time.Sleep(10 * time.Millisecond)
		}
		s.Close()
	}
	c.Close()
	for _, id := range cfg.IDs() {
		l, err := storage.OpenLog(StorePath(dir, id), storage.LogOptions{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		_, pos, ok := l.Snapshot()
		l.Close()
		if !ok || pos == 0 {
			t.Fatalf("replica %s took no snapshot with snapshot_log_bytes 4096 after %d puts", id, keys)
		}
	}
}

// The payload laid out by snapshotPayload decodes to the same state and
// records; every cut of it is an error, never a panic or an empty state.
func TestSnapshotPayloadRoundTripAndCuts(t *testing.T) {
	kv := paxi.NewKV()
	for i := uint64(1); i <= 500; i++ {
		kv.Apply(paxi.Command{Op: paxi.Put, Key: fmt.Sprint("k", i%50), Value: fmt.Sprint(i), ClientID: i%7 + 1, CommandID: i})
	}
	recs := []paxi.Message{&multipaxos.Promised{Ballot: paxi.NewBallot(7, "1.2")}}
	b, err := encodeSnapshot(kv, recs)
	if err != nil {
		t.Fatal(err)
	}
	kv2, recs2, err := decodeSnapshot(b)
	if err != nil {
		t.Fatal(err)
	}
	if !kv2.Equal(kv) || len(recs2) != 1 || fmt.Sprint(recs2[0]) != fmt.Sprint(recs[0]) {
		t.Fatalf("round trip: kv equal %v, records %v", kv2.Equal(kv), recs2)
	}
	for n := 0; n < len(b); n += 1 + n/10 {
		if _, _, err := decodeSnapshot(b[:n]); err == nil {
			t.Fatalf("payload cut at %d of %d decoded without error", n, len(b))
		}
	}
}
