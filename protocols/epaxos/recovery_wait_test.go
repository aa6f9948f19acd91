package epaxos

import (
	"testing"

	"github.com/agora-consensus/agora/paxi"
)

// A validation waiting for a commit it lacks (review finding): γ = (0,0)
// reached only 1.2 (ambiguous), its leader and 1.5 are down, and δ = (3,0)
// of 1.4, on γ's key, is uncommitted at 1.3 and 1.4 when they answer γ's
// validation at 1.2, so 1.2 waits for δ's commit. δ then commits, but no
// Commit and no Progress ever reaches 1.2 (dropped), so only asking for it
// can end the wait. Before the fix the round waited for ever and γ never
// committed.
func waitScenario(t *testing.T, dropRequests bool) *cluster {
	c := newCluster(t, 5, `{"thrifty":false}`)
	gamma, delta := put(1, 1, "x"), put(4, 1, "x")
	c.ambiguous(gamma)
	c.crash(0)
	c.crash(4)
	validated := false
	c.drop = func(e paxi.Envelope) bool {
		switch m := e.Msg.(type) {
		case *ValidateReply:
			if e.To == c.ids[1] {
				validated = true
			}
		case *PreAccept:
			// Before the validation, δ reaches 1.3 only.
			return !validated && m.Row == 3 && e.To != c.ids[2]
		case *PreAcceptReply:
			return !validated && m.Row == 3
		case *Commit, *Progress:
			return e.To == c.ids[1]
		case *CommitRequest:
			return dropRequests && e.From == c.ids[1]
		}
		return false
	}
	c.propose(3, delta)
	c.settle()
	return c
}

func TestValidationAsksForTheCommitItWaitsFor(t *testing.T) {
	c := waitScenario(t, false)
	c.tick(recoveryTicks)
	all := c.requireSafe()
	if _, ok := all[instKey{0, 0}]; !ok {
		t.Fatal("γ never committed")
	}
	if rc := c.reps[1].RecoveryCounters(); rc.WaitRequests == 0 || rc.Validations == 0 {
		t.Fatalf("1.2: %+v, want a validation that asked for δ's commit", rc)
	}
}

// The same, but 1.2's requests are lost too: the waiting round must end
// (and a later one, once requests get through, decide γ) rather than wait
// for ever.
func TestValidationWaitTimesOut(t *testing.T) {
	c := waitScenario(t, true)
	c.tick(recoveryTicks)
	if rc := c.reps[1].RecoveryCounters(); rc.WaitTimeouts == 0 {
		t.Fatalf("1.2: %+v, want a waiting validation that timed out", rc)
	}
	c.drop = nil
	c.tick(recoveryTicks)
	if _, ok := c.requireSafe()[instKey{0, 0}]; !ok {
		t.Fatal("γ never committed once the network healed")
	}
}
