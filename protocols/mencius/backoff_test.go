package mencius

import (
	"testing"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/slotpaxos"
)

// A replica that crashed, was revoked and came back is not a false alarm:
// hearing from it again must not double the wait before it is revoked the
// next time it crashes (with real processes, each crash and restart made
// the next revocation slower, up to 500 ms x 32). A live owner that
// answers the revocation of its own slots is one.
func TestRevokingACrashedReplicaIsNoFalseAlarm(t *testing.T) {
	c := newNet(t, 3)
	r := c.Reps[0] // 1.1 revokes 1.3's slots first (it comes next in the ring)
	c.Down[2] = true
	c.Propose(1, put(1, 1, "k", "x")) // slot 1
	c.Propose(0, put(3, 1, "k", "z")) // slot 3; execution waits on 1.3's slot 2
	c.Tick(0, 4*r.p.RevokeTicks)
	if r.stats.revocations == 0 {
		t.Fatal("1.1 never revoked the crashed 1.3")
	}
	c.Restart(2)
	c.Propose(2, put(2, 1, "k", "y"))
	c.Tick(2, r.p.RetryTicks)
	if r.backoff[2] != 0 {
		t.Fatalf("after 1.3 crashed, was revoked and restarted, 1.1's wait to revoke it is doubled %d times", r.backoff[2])
	}

	// Now 1.3 is alive: it answers a revocation of its own slots.
	rv := r.revocationOf(2)
	c.Reps[2].Step("1.1", &Prepare{Ballot: rv.Ballot, Owner: 2, From: rv.From, To: rv.To})
	for _, e := range c.Reps[2].Ready().Messages {
		if e.To == "1.1" {
			r.Step("1.3", e.Msg)
		}
	}
	if r.backoff[2] != 1 {
		t.Fatalf("a live owner answered its own revocation; wait doubled %d times, want once", r.backoff[2])
	}
}

// revocationOf starts a revocation of q's next slots and returns its
// Prepare, for tests.
func (r *Replica) revocationOf(q int) *Prepare {
	r.revoke(q, r.log.Commit)
	for _, e := range r.Ready().Messages {
		if p, ok := e.Msg.(*Prepare); ok {
			return p
		}
	}
	panic("revoke sent no Prepare")
}

// A lost skip costs about two round trips to its owner, not the fixed
// retry wait: the replica waiting on the skipped slot asks for it by the
// round trip it measured to the owner.
func TestLostSkipCostsARoundTrip(t *testing.T) {
	c := newNet(t, 3)
	for i := range 3 { // 1.3 measures its round trips to 1.1 and 1.2
		c.Propose(2, put(1, uint64(i+1), "k", "warm"))
		c.Tick(2, 1)
	}
	c.Drop = func(e paxi.Envelope) bool {
		_, skip := e.Msg.(*Skip)
		return skip && e.From == "1.1" && e.To == "1.3"
	}
	x := put(2, 1, "k", "x")
	c.Propose(1, x) // 1.1 skips its slot below; 1.3 does not hear it
	c.Drop = nil
	if ticks := c.TicksUntilExecuted(2, x, c.Reps[2].p.RetryTicks); ticks > slotpaxos.MinRetransmitTicks+2 {
		t.Fatalf("a lost skip cost %d ticks; the round trip is under one, the floor %d", ticks, slotpaxos.MinRetransmitTicks)
	}
}
