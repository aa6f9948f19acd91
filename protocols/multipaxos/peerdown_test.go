package multipaxos

import (
	"testing"

	"github.com/agora-consensus/agora/paxi"
)

// A follower whose connection to the leader dropped runs for leader at
// once, and the replica next after the leader wins without waiting out an
// election timeout (with real processes, the 300-600 ms after each SIGKILL
// of the leader stopped every client); the other follower does not run,
// so there is no duel.
func TestPeerDownElectsAtOnce(t *testing.T) {
	c := newNet(t, 3)
	c.Propose(0, put(1, 1, "k", "x"))
	c.Down[0] = true // the leader 1.1 crashes
	c.Reps[2].PeerDown("1.1")
	c.Run()
	if c.Reps[2].stats.campaigns != 0 {
		t.Fatal("1.3, second after the leader in ring order, ran for leader at once: it would duel with 1.2")
	}
	c.Reps[1].PeerDown("1.1")
	c.Run()
	if !c.Reps[1].leading {
		t.Fatal("1.2 does not lead right after its connection to the leader 1.1 dropped")
	}
	c.Propose(2, put(2, 1, "k", "y"))
	c.Tick(1, 1)
	for i := 1; i < 3; i++ {
		if len(c.Exec[i]) != 2 {
			t.Fatalf("%s executed %d commands, want 2", c.IDs[i], len(c.Exec[i]))
		}
	}
	var _ paxi.PeerWatcher = c.Reps[1]
}
