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

// A restarted owner stays suspect while it only catches up: its progress
// reports and Needs do not show that it serves its slots, so the replica
// waiting on one of them revokes it at once instead of after two
// retransmission timeouts (on real processes, each restart stopped
// execution for most of a second). Its Skip shows it serves them.
func TestRestartedOwnerStaysSuspectUntilItServesItsSlots(t *testing.T) {
	c := newNet(t, 3)
	c.Down[2] = true
	c.Propose(1, put(1, 1, "k", "x")) // slot 1
	c.Propose(0, put(3, 1, "k", "z")) // slot 3; execution waits on 1.3's slot 2
	c.Reps[0].PeerDown("1.3")
	c.Tick(0, 2)
	r := c.Reps[0]
	r.Step("1.3", &paxi.SlotProgress{})     // the restarted 1.3 reports where it is
	r.Step("1.3", &Need{Slots: []int64{2}}) // and asks for what it lacks
	if !r.suspect[2] {
		t.Fatal("a progress report or a Need from the restarted 1.3 cleared the suspicion: execution would wait two retransmission timeouts on its next slot")
	}
	r.Step("1.3", &Skip{From: 5, To: 8})
	if r.suspect[2] {
		t.Fatal("1.3 skipped its slots, and is still suspect: it would be revoked while it serves them")
	}
}
