package node

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/agora-consensus/agora/paxi/storage"
	_ "github.com/agora-consensus/agora/protocols/epaxos"
	_ "github.com/agora-consensus/agora/protocols/multipaxos"
)

// Replicas snapshot every snapshot_every commands; restarted, they load the
// newest snapshot (the state machine and the protocol's checkpoint) and
// the tail, serve every key written before, and do not execute again what
// the snapshot holds. Multi-Paxos and EPaxos.
func TestReplicasSnapshotAndRestartFromTheSnapshot(t *testing.T) {
	for _, algorithm := range []string{"multipaxos", "epaxos"} {
		t.Run(algorithm, func(t *testing.T) { snapshotAndRestart(t, algorithm) })
	}
}

func snapshotAndRestart(t *testing.T, algorithm string) {
	dir := filepath.Join(t.TempDir(), "state")
	cfg := testConfig(t, 3, algorithm, dir)
	cfg.SnapshotEvery = 40
	start := func() []*Server {
		var ss []*Server
		for _, id := range cfg.IDs() {
			s, err := Start(cfg, id, nil)
			if err != nil {
				t.Fatal(err)
			}
			ss = append(ss, s)
		}
		return ss
	}
	stop := func(ss []*Server) {
		for _, s := range ss {
			s.Close()
		}
	}
	ss := start()
	c := dialReplica(t, cfg, "1.1")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const keys = 300
	for i := range keys {
		if err := c.Put(ctx, fmt.Sprint("k", i), fmt.Sprint("v", i)); err != nil {
			t.Fatal(err)
		}
	}
	// The followers execute what the leader committed a little later.
	for _, s := range ss {
		for s.Node().ExecutedCount() < keys && ctx.Err() == nil {
			time.Sleep(10 * time.Millisecond)
		}
	}
	stop(ss)
	c.Close()
	for _, id := range cfg.IDs() {
		l, err := storage.OpenLog(StorePath(dir, id), storage.LogOptions{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		_, pos, ok := l.Snapshot()
		if !ok || pos == 0 {
			t.Fatalf("replica %s took no snapshot", id)
		}
		l.Close()
	}
	ss = start()
	defer stop(ss)
	for _, s := range ss {
		// The records read at open are dropped once the protocol is
		// rebuilt, so their buffer does not stay for the process's life.
		if n := len(s.Node().store.Records()); n != 0 {
			t.Fatalf("replica %s still holds the %d records it read at open", s.Node().id, n)
		}
		// Only the tail after the snapshot executes again: at most the
		// snapshot interval plus what was in flight.
		if n := s.Node().ExecutedCount(); n >= keys/2 {
			t.Fatalf("replica %s executed %d commands again after the restart, want only the tail", s.Node().id, n)
		}
	}
	c = dialReplica(t, cfg, "1.1")
	for i := range keys {
		v, err := c.Get(ctx, fmt.Sprint("k", i))
		if err != nil || v != fmt.Sprint("v", i) {
			t.Fatalf("after the restart k%d = %q, %v; want v%d", i, v, err, i)
		}
	}
}
