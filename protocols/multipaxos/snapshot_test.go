package multipaxos

import (
	"fmt"
	"slices"
	"testing"

	"github.com/agora-consensus/agora/paxi"
)

// A replica restored from its checkpoint (taken with votes in unchosen
// slots and forgotten slots behind it) plus the records persisted after
// it holds the same promise, votes, commit and executed points as one
// restored from its whole log, and executes only what the checkpoint had
// not executed.
func TestCheckpointRestoresWhatTheWholeLogDoes(t *testing.T) {
	c := newNet(t, 3)
	id := uint64(0)
	propose := func(k int) {
		for range k {
			id++
			c.Propose(0, put(1, id, fmt.Sprint("k", id%3), "v"))
		}
	}
	propose(20)
	tickAll(c, 40) // progress reports: every replica forgets what all executed
	// The leader hears no answer: followers hold votes in unchosen slots.
	c.Drop = func(e paxi.Envelope) bool { return e.To == c.IDs[0] }
	propose(5)
	const i = 1
	r := c.Reps[i]
	if r.log.Base() == 0 || r.log.Commit == r.log.End() {
		t.Fatalf("scenario: base %d commit %d end %d; want forgotten slots and unchosen votes", r.log.Base(), r.log.Commit, r.log.End())
	}
	var ck []paxi.Message
	for _, m := range r.Checkpoint() {
		ck = append(ck, roundTrip(t, m))
	}
	cut, execAtCut := len(c.Disk[i]), len(c.Exec[i])
	requireSameRestore(t, c, i, ck, cut, execAtCut)

	c.Drop = nil
	propose(7)
	tickAll(c, 40)
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
	if full.promised != snap.promised || full.bal != snap.bal {
		t.Fatalf("promise %s ballot %s from the checkpoint, %s %s from the whole log", snap.promised, snap.bal, full.promised, full.bal)
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
		a, b := full.log.Slot(s), snap.log.Slot(s)
		// The checkpoint may know a slot chosen that the log alone does not
		// (chosen by its own vote above the commit point); never less.
		if a.Has != b.Has || a.VBal != b.VBal || a.Committed && !b.Committed || (a.Committed || !b.Committed) && !a.Value.Same(b.Value) {
			t.Fatalf("slot %d: %+v from the checkpoint, %+v from the whole log", s, *b, *a)
		}
	}
}

func tickAll(c *net, n int) {
	for range n {
		for i := range c.Reps {
			c.Tick(i, 1)
		}
	}
}
