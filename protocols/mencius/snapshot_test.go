package mencius

import (
	"slices"
	"testing"

	"github.com/agora-consensus/agora/internal/prototest"
	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/slotpaxos"
)

// A replica restored from its checkpoint (taken after forgetting, with a
// peer's slots revoked and votes in unchosen slots) plus the records
// persisted after it holds the same promises, votes, skips, commit and
// executed points as one restored from its whole log, and executes only
// what the checkpoint had not executed.
func TestCheckpointWithRevokedSlotsRestoresWhatTheWholeLogDoes(t *testing.T) {
	c := newNet(t, 3)
	for at := range c.Reps {
		c.ProposeN(at, 5)
	}
	c.TickAll(40) // progress reports: every replica forgets what all executed
	// Replica 3 is cut off: the others revoke its slots.
	c.Drop = func(e paxi.Envelope) bool { return e.To == c.IDs[2] || e.From == c.IDs[2] }
	c.ProposeN(0, 3)
	c.TickAll(200)
	// Replica 1 hears nobody: replica 2 holds votes in unchosen slots.
	c.Drop = func(e paxi.Envelope) bool { return e.To == c.IDs[0] || e.To == c.IDs[2] || e.From == c.IDs[2] }
	c.ProposeN(1, 2)
	const i = 1
	r := c.Reps[i]
	revoked := false
	for s := r.log.Base(); s < r.log.End(); s++ {
		if e := r.log.At(s); e.bal > r.first(r.owner(s)) {
			revoked = true
		}
	}
	if r.log.Base() == 0 || r.log.Commit == r.log.End() || !revoked {
		t.Fatalf("scenario: base %d commit %d end %d revoked %v; want forgotten slots, unchosen votes and revoked slots",
			r.log.Base(), r.log.Commit, r.log.End(), revoked)
	}
	prototest.RequireCheckpointRestores(c, i, func() {
		c.Drop = nil
		c.ProposeN(1, 4)
		c.TickAll(200)
	}, func(r *Replica) *slotpaxos.Log[entry] { return &r.log }, func(a, b *entry) bool { return a.bal == b.bal }, func(full, snap *Replica) {
		if full.topN != snap.topN || full.nextOwn != snap.nextOwn || !slices.Equal(full.inflight, snap.inflight) {
			t.Fatalf("topN %d nextOwn %d inflight %v from the checkpoint, %d %d %v from the whole log",
				snap.topN, snap.nextOwn, snap.inflight, full.topN, full.nextOwn, full.inflight)
		}
	})
}

// The checkpoint keeps a promise above a slot's vote (a revocation under
// way), and the highest ballot number and next own slot even when the
// slots that showed them are forgotten.
func TestCheckpointKeepsPromisesAndTop(t *testing.T) {
	c := newNet(t, 3)
	b := paxi.NewBallot(7, c.IDs[2])
	recs := []paxi.Message{
		&Voted{Slot: 1, Ballot: paxi.NewBallot(0, c.IDs[1]), Cmds: []paxi.Command{put(2, 1, "a", "x")}},
		&Promised{Ballot: b, Owner: 1, From: 1, To: 13},
		&Skip{From: 0, To: 15},
	}
	full := c.Start(0, recs, nil)
	full.Ready()
	r := c.Start(0, recs, nil)
	r.Ready()
	ck := prototest.Checkpoint(t, r)
	snap := c.Start(0, ck, nil)
	for s := int64(0); s < full.log.End(); s++ {
		if a, b := full.log.At(s), snap.log.At(s); a.bal != b.bal || a.VBal != b.VBal || a.Has != b.Has {
			t.Fatalf("slot %d: %+v from the checkpoint, %+v from the records", s, *b, *a)
		}
	}
	// Forgotten: the skipped own slots and the promised slots.
	r.log.Commit, r.log.Executed = 13, 13 // as if chosen and executed everywhere
	r.log.Drop(13)
	ck = prototest.Checkpoint(t, r)
	snap = c.Start(0, ck, nil)
	if snap.topN != full.topN || snap.nextOwn != full.nextOwn || snap.log.Base() != 13 {
		t.Fatalf("topN %d nextOwn %d base %d from the checkpoint; want %d %d 13", snap.topN, snap.nextOwn, snap.log.Base(), full.topN, full.nextOwn)
	}
}
