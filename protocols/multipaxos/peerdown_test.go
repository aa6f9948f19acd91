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

// A follower catching up does not run for leader when the leader's
// connection drops, though it is next after the leader in ring order: it
// would propose again every slot it lacks. The one after it runs after a
// turn (at most an election timeout), not waiting for a timeout that the
// first's campaign would have restarted.
func TestPeerDownSkipsAFollowerThatIsCatchingUp(t *testing.T) {
	c := newNet(t, 3)
	c.Propose(0, put(1, 1, "k", "x"))
	c.Down[1] = true // 1.2 misses the next commands
	c.ProposeN(0, 20)
	c.Down[1] = false
	c.Drop = func(e paxi.Envelope) bool { // and learns them only slowly
		_, ok := e.Msg.(*Chosen)
		return ok && e.To == "1.2"
	}
	c.Tick(0, c.Reps[0].p.HeartbeatTicks) // 1.2 hears that it is behind
	if !c.Reps[1].catchingUpNow() {
		t.Fatalf("1.2 at commit %d, heard %d: not catching up", c.Reps[1].log.Commit, c.Reps[1].heard)
	}
	c.Down[0] = true // the leader 1.1 crashes
	c.Reps[1].PeerDown("1.1")
	c.Reps[2].PeerDown("1.1")
	c.Run()
	if c.Reps[1].stats.campaigns != 0 {
		t.Fatal("1.2 ran for leader while catching up")
	}
	turn := c.Reps[2].p.ElectionTicks // 1.3 never led: no round trip measured
	for i := 0; i < turn && !c.Reps[2].leading; i++ {
		c.Tick(2, 1)
	}
	if !c.Reps[2].leading {
		t.Fatalf("1.3 does not lead %d ticks after the leader's connection dropped", turn)
	}
}
