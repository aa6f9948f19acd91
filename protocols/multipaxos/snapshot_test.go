package multipaxos

import (
	"testing"

	"github.com/agora-consensus/agora/internal/prototest"
	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/slotpaxos"
)

// A replica restored from its checkpoint (taken with votes in unchosen
// slots and forgotten slots behind it) plus the records persisted after
// it holds the same promise, votes, commit and executed points as one
// restored from its whole log, and executes only what the checkpoint had
// not executed.
func TestCheckpointRestoresWhatTheWholeLogDoes(t *testing.T) {
	c := newNet(t, 3)
	c.ProposeN(0, 20)
	c.TickAll(40) // progress reports: every replica forgets what all executed
	// The leader hears no answer: followers hold votes in unchosen slots.
	c.Drop = func(e paxi.Envelope) bool { return e.To == c.IDs[0] }
	c.ProposeN(0, 5)
	const i = 1
	r := c.Reps[i]
	if r.log.Base() == 0 || r.log.Commit == r.log.End() {
		t.Fatalf("scenario: base %d commit %d end %d; want forgotten slots and unchosen votes", r.log.Base(), r.log.Commit, r.log.End())
	}
	prototest.RequireCheckpointRestores(c, i, func() {
		c.Drop = nil
		c.ProposeN(0, 7)
		c.TickAll(40)
	}, func(r *Replica) *slotpaxos.Log[entry] { return &r.log }, nil, func(full, snap *Replica) {
		if full.promised != snap.promised || full.bal != snap.bal {
			t.Fatalf("promise %s ballot %s from the checkpoint, %s %s from the whole log", snap.promised, snap.bal, full.promised, full.bal)
		}
	})
}
