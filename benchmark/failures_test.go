package benchmark

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/agora-consensus/agora/paxi"
)

// TestUnansweredCommandsAreCountedPerReplica: one target accepts the
// connection and never answers (a hung replica); its commands are counted
// as unanswered under its id, and the real replica's clients go on.
func TestUnansweredCommandsAreCountedPerReplica(t *testing.T) {
	l, err := StartLocal("unreplicated", 1, nil, "", false)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	hole, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hole.Close()
	go func() {
		for {
			c, err := hole.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(io.Discard, c); c.Close() }()
		}
	}()
	defer func(d time.Duration) { drainTimeout = d }(drainTimeout)
	drainTimeout = 200 * time.Millisecond

	w := DefaultWorkload()
	// The warm-up covers the replica's start-up (under the race detector on
	// a loaded machine, 200 ms from the start measured nothing).
	w.Duration, w.Warmup = paxi.Duration(300*time.Millisecond), paxi.Duration(time.Second)
	w.Clients, w.Outstanding = 2, 4
	addrs := map[paxi.ID]string{"1.1": l.Addrs()["1.1"], "1.2": hole.Addr().String()}
	r, err := Run(context.Background(), w, addrs)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%v\n%v", r, r.Replicas)
	if len(r.Replicas) != 2 || r.Replicas[0].ID != "1.1" || r.Replicas[1].ID != "1.2" {
		t.Fatalf("want a result for 1.1 and 1.2, got %v", r.Replicas)
	}
	if got := r.Replicas[1]; got.Unanswered != w.Clients*w.Outstanding || got.Ops != 0 || !got.Trouble() {
		t.Errorf("hung replica 1.2: %v, want all %d commands unanswered", got, w.Clients*w.Outstanding)
	}
	if got := r.Replicas[0]; got.Ops == 0 || got.Trouble() {
		t.Errorf("live replica 1.1: %v", got)
	}
	if r.Unanswered != w.Clients*w.Outstanding || r.Ops != r.Replicas[0].Ops || !r.Trouble() {
		t.Errorf("summary %v does not add up the replicas %v", r, r.Replicas)
	}
}

// TestNoReachableTargetIsAnError: with every target refusing, Run fails
// and says why, with each replica's reason in the result.
func TestNoReachableTargetIsAnError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	w := DefaultWorkload()
	r, err := Run(context.Background(), w, map[paxi.ID]string{"1.1": addr})
	if err == nil || len(r.Replicas) != 1 || r.Replicas[0].Down == "" {
		t.Fatalf("want an error and 1.1 reported down; got %v, %v", err, r.Replicas)
	}
}
