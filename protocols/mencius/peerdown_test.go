package mencius

import (
	"testing"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/slotpaxos"
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

// A replica behind its peers does not revoke a dead owner's slot that a
// live peer reported chosen past: it asks for it (Need). Restarted and
// catching up, the first revoker revoked from its own commit point on,
// slots chosen long before, while the others left the owner to it.
func TestReplicaBehindAsksRatherThanRevokes(t *testing.T) {
	c := newNet(t, 3)
	c.Drop = func(e paxi.Envelope) bool { // 1.2 misses slot 0 and learns nothing of it
		if e.To != "1.2" {
			return false
		}
		_, chosen := e.Msg.(*slotpaxos.Chosen)
		a, ok := e.Msg.(*Accept)
		return chosen || ok && a.Slot == 0
	}
	c.Propose(0, put(1, 1, "k", "x")) // slot 0, chosen by 1.1 and 1.3
	c.Propose(0, put(1, 2, "k", "y")) // slot 3
	c.Tick(2, c.Reps[2].p.ProgressTicks)
	r := c.Reps[1]
	if r.log.Commit != 0 || r.log.End() < 4 || r.log.PeerCommit(2) < 1 {
		t.Fatalf("1.2 at commit %d of %d slots, 1.3 reported %d: want 1.2 waiting on slot 0 that 1.3 reported chosen", r.log.Commit, r.log.End(), r.log.PeerCommit(2))
	}
	c.Down[0] = true // the owner 1.1 crashes
	c.Drop = nil
	r.PeerDown("1.1")
	for i := 0; i < int(r.retrans.RTO(0))+1 && len(c.Exec[1]) == 0; i++ {
		c.Tick(1, 1)
	}
	if got := r.stats.revocations; got != 0 {
		t.Fatalf("1.2 revoked 1.1's slots %d times while 1.3 had slot 0 chosen", got)
	}
	if len(c.Exec[1]) == 0 {
		t.Fatal("1.2 did not execute slot 0's command")
	}
}
