package node

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/agora-consensus/agora/paxi"
	_ "github.com/agora-consensus/agora/protocols/epaxos"
)

// emulated_rtt reaches the peer links of a real replica: an EPaxos commit
// needs a round trip to a peer, so with 150 ms between every pair a write
// cannot take less, while on bare loopback it takes a millisecond.
func TestEmulatedRTTDelaysPeerLinks(t *testing.T) {
	cfg := testConfig(t, 3, "epaxos", "")
	const rtt = 150 * time.Millisecond
	d := paxi.Duration(rtt)
	cfg.EmulatedRTT = map[paxi.ID]map[paxi.ID]paxi.Duration{"1.1": {"1.2": d, "1.3": d}, "1.2": {"1.3": d}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	startAll(t, cfg)
	c := dialReplica(t, cfg, "1.2")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := range 3 {
		start := time.Now()
		if err := c.Put(ctx, "k", "v"); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took < rtt {
			t.Fatalf("write %d committed in %v, less than the emulated round trip %v", i, took, rtt)
		}
	}
}

// With emulated_rtt, quorums are chosen by the emulated distances: every
// replica of testConfig is in zone 1, so zones alone would give ring order.
func TestNearestFollowsEmulatedRTT(t *testing.T) {
	cfg := testConfig(t, 4, "epaxos", "")
	ms := func(n int) paxi.Duration { return paxi.Duration(time.Duration(n) * time.Millisecond) }
	cfg.EmulatedRTT = map[paxi.ID]map[paxi.ID]paxi.Duration{"1.1": {"1.2": ms(90), "1.3": ms(30), "1.4": ms(60)}}
	if got := nearest(cfg, "1.1"); !slices.Equal(got, []paxi.ID{"1.3", "1.4", "1.2"}) {
		t.Fatalf("nearest(1.1) = %v, want [1.3 1.4 1.2]", got)
	}
	cfg.EmulatedRTT = nil
	if got := nearest(cfg, "1.1"); !slices.Equal(got, []paxi.ID{"1.2", "1.3", "1.4"}) {
		t.Fatalf("without emulated_rtt nearest(1.1) = %v, want ring order", got)
	}
}
