package mencius

import (
	"testing"

	"github.com/agora-consensus/agora/paxi"
)

// A replica whose connection to an owner dropped revokes the owner's slots
// on the next tick that execution waits on one, not after two
// retransmission timeouts (with real processes, the 200-500 ms of waiting
// after each SIGKILL stopped every client). Only the owner's first revoker
// does.
func TestPeerDownRevokesAtOnce(t *testing.T) {
	c := newNet(t, 3)
	c.Down[2] = true                  // 1.3 crashes
	c.Propose(1, put(1, 1, "k", "x")) // slot 1
	c.Propose(0, put(3, 1, "k", "z")) // slot 3; execution waits on 1.3's slot 2
	c.Reps[0].PeerDown("1.3")
	c.Reps[1].PeerDown("1.3")
	c.Tick(0, 2)
	c.Tick(1, 2)
	if got := c.Reps[0].stats.revocations; got != 1 {
		t.Fatalf("1.1, first in 1.3's revocation order, started %d revocations two ticks after its connection to 1.3 dropped, want 1", got)
	}
	if got := c.Reps[1].stats.revocations; got != 0 {
		t.Fatalf("1.2, second in 1.3's revocation order, revoked at once too (%d revocations): the two would outbid each other", got)
	}
	for i := range 2 {
		if len(c.Exec[i]) != 2 {
			t.Fatalf("%s executed %d commands two ticks after the crash was reported, want 2", c.IDs[i], len(c.Exec[i]))
		}
	}
	var _ paxi.PeerWatcher = c.Reps[0]
}

// A later replica in the owner's revocation order that got the hint
// revokes after one retransmission timeout per replica before it, when
// those do not (here 1.1, first in 1.3's order, got no hint: on real
// processes it was catching up after a restart). Before, it waited its
// two timeouts doubled by its rank, 400 ms at the 100 ms floor, in which
// every client stopped.
func TestPeerDownLaterRevokerWaitsOneTimeout(t *testing.T) {
	c := newNet(t, 3)
	c.Down[2] = true                  // 1.3 crashes
	c.Propose(0, put(1, 1, "k", "x")) // slot 0
	c.Propose(1, put(2, 1, "k", "y")) // slot 1; execution waits on 1.3's slot 2
	c.Propose(0, put(3, 1, "k", "z")) // slot 3
	r := c.Reps[1]
	r.PeerDown("1.3")
	rto := int(r.retrans.RTO(2))
	c.Tick(1, rto+1)
	if got := r.stats.revocations; got != 1 {
		t.Fatalf("1.2, second in 1.3's revocation order, started %d revocations %d ticks after its connection to 1.3 dropped (its timeout %d), want 1", got, rto+1, rto)
	}
	if len(c.Exec[1]) != 3 {
		t.Fatalf("1.2 executed %d commands, want 3", len(c.Exec[1]))
	}
}
