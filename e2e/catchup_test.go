package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/node"
	"github.com/agora-consensus/agora/paxi/storage"
	"github.com/agora-consensus/agora/paxi/transport"
)

// Three bin/server processes snapshot every 20 commands; one is killed,
// the others run on past many snapshots and forget what it lacks, and it
// is restarted: it catches up from a peer's snapshot sent over the peer
// transport (agora_snapshot_installs_total), every key reads back the same
// through every replica, and the snapshot it saved holds every key written
// while it was down. Multi-Paxos by default; AGORA_SNAPSHOT_E2E_ALL=1 adds
// Mencius.
func TestReplicaDownCatchesUpFromSnapshot(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	server, _ := buildTools(t)
	algorithms := []string{"multipaxos"}
	if os.Getenv("AGORA_SNAPSHOT_E2E_ALL") != "" {
		algorithms = append(algorithms, "mencius")
	}
	for _, algorithm := range algorithms {
		t.Run(algorithm, func(t *testing.T) {
			c := newCluster(t, server, algorithm, `,"snapshot_every":20`)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cl := dial(t, c, "1.1")
			n := 0
			put := func(k int) {
				for range k {
					if err := cl.Put(ctx, fmt.Sprint("k", n), fmt.Sprint("v", n)); err != nil {
						t.Fatal(err)
					}
					n++
				}
			}
			put(20)
			victim := paxi.ID("1.3")
			c.kill(victim)
			put(300) // some 15 snapshots at each of the others
			missed := n
			c.start(victim)
			for metric(t, c, victim, "agora_snapshot_installs_total") < 1 {
				if ctx.Err() != nil {
					t.Fatalf("%s never installed a peer's snapshot:\n%s", victim, c.logs[victim])
				}
				put(1)
				time.Sleep(20 * time.Millisecond)
			}
			put(20)
			for _, id := range c.cfg.IDs() {
				cv := dial(t, c, id)
				for i := range n {
					if v, err := cv.Get(ctx, fmt.Sprint("k", i)); err != nil || v != fmt.Sprint("v", i) {
						t.Fatalf("%s reads k%d = %q, %v; want v%d", id, i, v, err, i)
					}
				}
			}
			c.stopAll()
			l, err := storage.OpenLog(node.StorePath(c.cfg.StorageDir, victim), storage.LogOptions{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			payload, _, ok := l.Snapshot()
			if !ok {
				t.Fatalf("%s has no snapshot", victim)
			}
			kvb, _, err := paxi.DecodeSnapshotPayload(payload, transport.Unmarshal)
			if err != nil {
				t.Fatal(err)
			}
			kv := paxi.NewKV()
			if err := kv.Restore(kvb); err != nil {
				t.Fatal(err)
			}
			for i := range missed {
				if v, _ := kv.Get(fmt.Sprint("k", i)); v != fmt.Sprint("v", i) {
					t.Fatalf("the snapshot %s saved holds k%d = %q, want v%d: it did not catch up from a peer's", victim, i, v, i)
				}
			}
		})
	}
}

// metric reads a metric of replica id from its /metrics (0 if absent).
func metric(t *testing.T, c *cluster, id paxi.ID, name string) float64 {
	t.Helper()
	r, _ := c.cfg.Replica(id)
	resp, err := http.Get("http://" + r.HTTP + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == name {
			v, _ := strconv.ParseFloat(f[1], 64)
			return v
		}
	}
	return 0
}
