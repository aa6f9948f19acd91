package node

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/agora-consensus/agora/protocols/mencius"
	_ "github.com/agora-consensus/agora/protocols/multipaxos"
)

// A replica down while the others snapshot and forget past it catches up
// from a snapshot sent over the peer transport in chunks of 256 bytes: once
// back, it installs a peer's snapshot (the metric says so) and holds every
// key written while it was down.
func TestReplicaDownCatchesUpFromAPeersSnapshot(t *testing.T) {
	defer func(c int) { snapshotChunk = c }(snapshotChunk)
	snapshotChunk = 256
	for _, algo := range []string{"multipaxos", "mencius", "epaxos"} {
		t.Run(algo, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "state")
			cfg := testConfig(t, 3, algo, dir)
			cfg.SnapshotEvery = 20
			var ss []*Server
			for _, id := range cfg.IDs() {
				s, err := Start(cfg, id, nil)
				if err != nil {
					t.Fatal(err)
				}
				ss = append(ss, s)
			}
			defer func() {
				for _, s := range ss {
					s.Close()
				}
			}()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			c := dialReplica(t, cfg, "1.1")
			if err := c.Put(ctx, "before", "x"); err != nil {
				t.Fatal(err)
			}
			ss[2].Close()
			downAt := time.Now()
			const keys = 300
			for i := range keys {
				if err := c.Put(ctx, fmt.Sprint("k", i), fmt.Sprint("v", i)); err != nil {
					t.Fatal(err)
				}
			}
			// EPaxos forgets past a peer only once it has been silent for
			// two retry periods (1 s by default, protocols/epaxos/forget.go):
			// 300 puts can take less, and then 1.3 needs no snapshot.
			for ctx.Err() == nil && time.Since(downAt) < 2*time.Second {
				if err := c.Put(ctx, "tick", "x"); err != nil {
					t.Fatal(err)
				}
				time.Sleep(20 * time.Millisecond)
			}
			s3, err := Start(cfg, "1.3", nil)
			if err != nil {
				t.Fatal(err)
			}
			ss[2] = s3
			for ctx.Err() == nil && counter(s3, "agora_snapshot_installs_total") == 0 {
				// Writes keep the others' progress reports and commits coming.
				if err := c.Put(ctx, "tick", "x"); err != nil {
					t.Fatal(err)
				}
				time.Sleep(20 * time.Millisecond)
			}
			if ctx.Err() != nil {
				t.Fatalf("1.3 never installed a peer's snapshot (sent by the others: %v, %v)",
					counter(ss[0], "agora_snapshot_transfers_sent_total"), counter(ss[1], "agora_snapshot_transfers_sent_total"))
			}
			if b := counter(s3, "agora_snapshot_transfer_bytes_received_total"); b < 2<<10 {
				t.Fatalf("1.3 received %v bytes of snapshots: want several chunks", b)
			}
			// It serves again: a write through it executes.
			c3 := dialReplica(t, cfg, "1.3")
			if err := c3.Put(ctx, "after", "y"); err != nil {
				t.Fatal(err)
			}
			// A read through it executes there after every write of its
			// key: with EPaxos the put of "after" does not wait for the
			// other keys' instances, which it may still be fetching.
			// A command waiting at 1.3 when it installs another snapshot
			// (its peers forgot more meanwhile) is answered "retry".
			for i := range keys {
				v, err := c3.Get(ctx, fmt.Sprint("k", i))
				for try := 0; err != nil && strings.Contains(err.Error(), "retry") && try < 5; try++ {
					v, err = c3.Get(ctx, fmt.Sprint("k", i))
				}
				if err != nil || v != fmt.Sprint("v", i) {
					t.Fatalf("k%d read through 1.3 after it caught up: %q, %v; want v%d", i, v, err, i)
				}
			}
			for _, s := range ss {
				s.Close()
			}
			kv := s3.Node().kv
			for i := range keys {
				if v, _ := kv.Get(fmt.Sprint("k", i)); v != fmt.Sprint("v", i) {
					t.Fatalf("1.3 holds k%d = %q after catching up, want v%d", i, v, i)
				}
			}
			if v, _ := kv.Get("after"); v != "y" {
				t.Fatalf("1.3 holds after = %q", v)
			}
		})
	}
}

// counter reads a counter of replica s's registry (0 if absent).
func counter(s *Server, name string) float64 {
	mfs, err := s.metrics.Registry.Gather()
	if err != nil {
		return 0
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) > 0 {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	return 0
}
