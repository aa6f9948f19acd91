package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/client"
	"github.com/agora-consensus/agora/paxi/storage"
)

// Real processes snapshot every 20 commands; a replica killed at each step
// of saving a snapshot (AGORA_SNAPSHOT_CRASH: before the rename, after it,
// before truncation) restarts from what is on disk and reads back every
// write, while writes go on through another replica, and holds what
// another replica holds. Multi-Paxos and EPaxos by default;
// AGORA_SNAPSHOT_E2E_ALL=1 adds Mencius.
func TestSnapshotCrashAtEveryStep(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	server, _ := buildTools(t)
	algorithms := []string{"multipaxos", "epaxos"}
	if os.Getenv("AGORA_SNAPSHOT_E2E_ALL") != "" {
		algorithms = append(algorithms, "mencius") // 12 s more
	}
	for _, algorithm := range algorithms {
		for _, step := range []string{storage.SnapBeforeRename, storage.SnapAfterRename, storage.SnapBeforeTruncate} {
			t.Run(algorithm+"/"+step, func(t *testing.T) {
				c := newCluster(t, server, algorithm, `,"snapshot_every":20`)
				victim := paxi.ID("1.2")
				c.kill(victim)
				c.env[victim] = []string{"AGORA_SNAPSHOT_CRASH=" + step}
				c.start(victim)
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				cl := dial(t, c, "1.1")
				n := 0
				put := func(k int) {
					for range k {
						if err := cl.Put(ctx, fmt.Sprint("k", n), fmt.Sprint("v", n)); err != nil {
							t.Fatal(err)
						}
						// One key written over and over: its value is the
						// last write only if every replica applied the
						// writes in order, once.
						if err := cl.Put(ctx, "hot", fmt.Sprint("v", n)); err != nil {
							t.Fatal(err)
						}
						n++
					}
				}
				// Until the victim has exited at the crash point.
				exited := make(chan error, 1)
				p := c.procs[victim]
				go func() { exited <- p.Wait() }()
				var err error
			wait:
				for {
					put(10)
					select {
					case err = <-exited:
						break wait
					case <-ctx.Done():
						t.Fatalf("%s never crashed at %s:\n%s", victim, step, c.logs[victim])
					default:
					}
				}
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.ExitCode() != 3 {
					t.Fatalf("%s exited with %v, want the crash hook's status 3:\n%s", victim, err, c.logs[victim])
				}
				delete(c.procs, victim)
				delete(c.env, victim)
				c.start(victim)
				put(30) // more snapshots, now completed and truncating
				cv, co := dial(t, c, victim), dial(t, c, "1.3")
				for i := range n {
					v, err := cv.Get(ctx, fmt.Sprint("k", i))
					if err != nil || v != fmt.Sprint("v", i) {
						t.Fatalf("after the crash at %s, %s has k%d = %q, %v; want v%d", step, victim, i, v, err, i)
					}
				}
				for _, cx := range []*client.Client{cv, co} {
					if v, err := cx.Get(ctx, "hot"); err != nil || v != fmt.Sprint("v", n-1) {
						t.Fatalf("after the crash at %s, hot = %q, %v; want the last write v%d", step, v, err, n-1)
					}
				}
			})
		}
	}
}

func dial(t *testing.T, c *cluster, id paxi.ID) *client.Client {
	t.Helper()
	r, _ := c.cfg.Replica(id)
	cl, err := client.Dial(r.Client)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}
