package mencius

import (
	"fmt"
	"slices"
	"testing"

	"github.com/agora-consensus/agora/paxi"
)

// A replica restored from its checkpoint (taken after forgetting, with a
// peer's slots revoked and votes in unchosen slots) plus the records
// persisted after it holds the same promises, votes, skips, commit and
// executed points as one restored from its whole log, and executes only
// what the checkpoint had not executed.
func TestCheckpointRestoresWhatTheWholeLogDoes(t *testing.T) {
	c := newNet(t, 3)
	id := uint64(0)
	propose := func(at, k int) {
		for range k {
			id++
			c.Propose(at, put(uint64(at+1), id, fmt.Sprint("k", id%3), "v"))
		}
	}
	for at := range c.Reps {
		propose(at, 5)
	}
	tickAll(c, 40) // progress reports: every replica forgets what all executed
	// Replica 3 is cut off: the others revoke its slots.
	c.Drop = func(e paxi.Envelope) bool { return e.To == c.IDs[2] || e.From == c.IDs[2] }
	propose(0, 3)
	tickAll(c, 200)
	// Replica 1 hears nobody: replica 2 holds votes in unchosen slots.
	c.Drop = func(e paxi.Envelope) bool { return e.To == c.IDs[0] || e.To == c.IDs[2] || e.From == c.IDs[2] }
	propose(1, 2)
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
	var ck []paxi.Message
	for _, m := range r.Checkpoint() {
		ck = append(ck, roundTrip(t, m))
	}
	cut, execAtCut := len(c.Disk[i]), len(c.Exec[i])
	requireSameRestore(t, c, i, ck, cut, execAtCut)

	c.Drop = nil
	propose(1, 4)
	tickAll(c, 200)
	requireSameRestore(t, c, i, ck, cut, execAtCut)
}

// requireSameRestore restores replica i from its whole log and from
// checkpoint ck followed by its records from cut on, and compares them.
func requireSameRestore(t *testing.T, c *net, i int, ck []paxi.Message, cut, execAtCut int) {
	t.Helper()
	full := c.Start(i, c.Disk[i], nil)
	fullExec := full.Ready().Execute
	snap := c.Start(i, append(slices.Clip(ck), c.Disk[i][cut:]...), nil)
	snapExec := snap.Ready().Execute
	if full.topN != snap.topN || full.nextOwn != snap.nextOwn || !slices.Equal(full.inflight, snap.inflight) {
		t.Fatalf("topN %d nextOwn %d inflight %v from the checkpoint, %d %d %v from the whole log",
			snap.topN, snap.nextOwn, snap.inflight, full.topN, full.nextOwn, full.inflight)
	}
	if full.log.Commit != snap.log.Commit || full.log.Executed != snap.log.Executed {
		t.Fatalf("commit/executed %d/%d from the checkpoint, %d/%d from the whole log",
			snap.log.Commit, snap.log.Executed, full.log.Commit, full.log.Executed)
	}
	if want := fullExec[execAtCut:]; !slices.Equal(snapExec, want) {
		t.Fatalf("restored from the checkpoint it executes %d commands, want the %d not in the snapshot", len(snapExec), len(want))
	}
	if full.log.End() != snap.log.End() {
		t.Fatalf("log ends at %d from the checkpoint, %d from the whole log", snap.log.End(), full.log.End())
	}
	for s := snap.log.Base(); s < snap.log.End(); s++ {
		a, b := full.log.At(s), snap.log.At(s)
		// The checkpoint may know a slot chosen that the log alone does not
		// (chosen by its own vote above the commit point); never less.
		if a.bal != b.bal || a.Has != b.Has || a.VBal != b.VBal || a.Committed && !b.Committed || (a.Committed || !b.Committed) && !a.Value.Same(b.Value) {
			t.Fatalf("slot %d: %+v from the checkpoint, %+v from the whole log", s, *b, *a)
		}
	}
}

func tickAll(c *net, n int) {
	for range n {
		for i := range c.Reps {
			if !c.Down[i] {
				c.Tick(i, 1)
			}
		}
	}
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
	var ck []paxi.Message
	for _, m := range r.Checkpoint() {
		ck = append(ck, roundTrip(t, m))
	}
	snap := c.Start(0, ck, nil)
	for s := int64(0); s < full.log.End(); s++ {
		if a, b := full.log.At(s), snap.log.At(s); a.bal != b.bal || a.VBal != b.VBal || a.Has != b.Has {
			t.Fatalf("slot %d: %+v from the checkpoint, %+v from the records", s, *b, *a)
		}
	}
	// Forgotten: the skipped own slots and the promised slots.
	r.log.Commit, r.log.Executed = 13, 13 // as if chosen and executed everywhere
	r.log.Drop(13)
	ck = nil
	for _, m := range r.Checkpoint() {
		ck = append(ck, roundTrip(t, m))
	}
	snap = c.Start(0, ck, nil)
	if snap.topN != full.topN || snap.nextOwn != full.nextOwn || snap.log.Base() != 13 {
		t.Fatalf("topN %d nextOwn %d base %d from the checkpoint; want %d %d 13", snap.topN, snap.nextOwn, snap.log.Base(), full.topN, full.nextOwn)
	}
}
