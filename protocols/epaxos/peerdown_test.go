package epaxos

import (
	"testing"

	"github.com/agora-consensus/agora/paxi"
)

// TestPeerDownRecoversAtOnce: 1.1 crashes with an instance only 1.2 has
// pre-accepted, and 1.2's next command on the same key depends on it.
// Told by the host that 1.1's connection dropped, 1.2 and 1.3 finish both
// within a few ticks, where the recovery timers alone wait a second or
// more (with real processes, the whole cluster stood still that long
// after a SIGKILL under a hot key: docs/PERFORMANCE.md, crash test).
func TestPeerDownRecoversAtOnce(t *testing.T) {
	const within = 10 // ticks: 50 ms at the default tick
	for _, hint := range []bool{false, true} {
		c := newCluster(t, 3, "")
		first, second := put(1, 1, "x"), put(2, 1, "x")
		c.propose(0, first)
		for _, e := range c.queue {
			if _, ok := e.Msg.(*PreAccept); ok && e.To == c.ids[1] {
				c.deliver(e)
			}
		}
		c.queue = nil
		c.crash(0)
		c.propose(1, second)
		if hint {
			for _, i := range []int{1, 2} {
				w, ok := any(c.reps[i]).(paxi.PeerWatcher)
				if !ok {
					t.Fatal("epaxos.Replica is not a paxi.PeerWatcher")
				}
				w.PeerDown(c.ids[0])
				c.process(i)
			}
		}
		c.settle()
		c.tick(within)
		done := len(c.executed[1]) == 2 && len(c.executed[2]) == 2
		if hint && !done {
			t.Fatalf("with the peer-down hint, %d ticks later 1.2 executed %v and 1.3 %v; want both commands at both", within, c.executed[1], c.executed[2])
		}
		if !hint && done {
			t.Fatalf("without the hint both executed within %d ticks: the test no longer shows what the hint changes", within)
		}
		if hint {
			c.requireSameInterferingOrder([]int{1, 2})
			c.requireSafe()
		}
	}
}

// TestPeerDownHintEndsWhenThePeerSpeaks: any message from the peer ends
// the hint, so a replica that restarted is not recovered against.
func TestPeerDownHintEndsWhenThePeerSpeaks(t *testing.T) {
	c := newCluster(t, 3, "")
	c.reps[1].PeerDown(c.ids[0])
	if !c.reps[1].hintedDown(0) || c.reps[1].scanPeriod() != 1 {
		t.Fatal("PeerDown did not mark 1.1 down")
	}
	c.reps[1].PeerDown(c.ids[1]) // itself: ignored
	c.reps[1].PeerDown("9.9")    // not a peer: ignored
	if c.reps[1].rec.down != bit(0) {
		t.Fatalf("down set %b, want only 1.1", c.reps[1].rec.down)
	}
	c.propose(0, put(1, 1, "y"))
	c.settle()
	c.tick(int(c.reps[1].params.RetryTicks) + 1)
	if c.reps[1].hintedDown(0) || c.reps[1].scanPeriod() == 1 {
		t.Fatal("the hint outlived messages from 1.1")
	}
}
