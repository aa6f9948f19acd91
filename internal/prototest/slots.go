package prototest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/slotpaxos"
)

// TickAll advances every replica that is up by n ticks, one tick each in
// turn.
func (c *Net[P]) TickAll(n int) {
	for range n {
		for i := range c.Reps {
			if !c.Down[i] {
				c.Tick(i, 1)
			}
		}
	}
}

// TicksUntilExecuted ticks replica i alone until it executes x, and
// returns how many ticks that took; it fails the test after limit.
func (c *Net[P]) TicksUntilExecuted(i int, x paxi.Command, limit int) int {
	c.T.Helper()
	ticks := 0
	for ; !slices.Contains(c.Exec[i], x); ticks++ {
		if ticks > limit {
			c.T.Fatalf("%s did not execute %v within %d ticks", c.IDs[i], x.Ident(), limit)
		}
		c.Tick(i, 1)
	}
	return ticks
}

// RequireExecutedOnce fails the test unless replica i executed every
// command of want exactly once (in any order).
func (c *Net[P]) RequireExecutedOnce(i int, want []paxi.Command) {
	c.T.Helper()
	seen := map[paxi.CommandKey]int{}
	for _, cmd := range c.Exec[i] {
		seen[cmd.Ident()]++
	}
	for _, cmd := range want {
		if seen[cmd.Ident()] != 1 {
			c.T.Fatalf("%s executed %v %d times, want once (executed %d commands)", c.IDs[i], cmd.Ident(), seen[cmd.Ident()], len(c.Exec[i]))
		}
	}
}

// RequireExecuted fails the test unless replica i executed want, in this
// order, and nothing else.
func (c *Net[P]) RequireExecuted(i int, want []paxi.Command) {
	c.T.Helper()
	if !slices.EqualFunc(c.Exec[i], want, func(a, b paxi.Command) bool { return a.Ident() == b.Ident() }) {
		c.T.Fatalf("%s executed %d commands, want the %d proposed", c.IDs[i], len(c.Exec[i]), len(want))
	}
}

// Checkpointing is a protocol whose replicas take checkpoints.
type Checkpointing interface {
	paxi.Protocol
	paxi.Checkpointer
}

// Checkpoint is cp's checkpoint, each record through the wire codec.
func Checkpoint(t testing.TB, cp paxi.Checkpointer) []paxi.Message {
	var ck []paxi.Message
	for _, m := range cp.Checkpoint() {
		ck = append(ck, MustRoundTrip(t, m))
	}
	return ck
}

// RequireCheckpointRestores takes replica i's checkpoint now (each record
// through the codec) and requires, now and again after more has run, that
// the replica restored from it and the records persisted after it is the
// one restored from its whole log (SameRestore: log, same); check, if set,
// compares the protocol's own state of the two.
func RequireCheckpointRestores[P Checkpointing, E any](c *Net[P], i int, more func(), log func(P) *slotpaxos.Log[E], same func(a, b *E) bool, check func(full, snap P)) {
	c.T.Helper()
	ck := Checkpoint(c.T, c.Reps[i])
	cut, execAtCut := len(c.Disk[i]), len(c.Exec[i])
	for _, step := range []func(){func() {}, more} {
		step()
		full, snap := SameRestore(c, i, ck, cut, execAtCut, log, same)
		if check != nil {
			check(full, snap)
		}
	}
}

// SameRestore restores replica i from its whole log and from checkpoint ck
// followed by its records from cut on, and returns both after failing the
// test unless they hold the same commit and executed points and the same
// slots, and the second executes exactly what the first executed after
// its execAtCut-th command (what the snapshot had not executed). log finds
// a replica's slot log; same, if set, compares what the protocol keeps of
// a slot besides.
func SameRestore[P paxi.Protocol, E any](c *Net[P], i int, ck []paxi.Message, cut, execAtCut int, log func(P) *slotpaxos.Log[E], same func(a, b *E) bool) (full, snap P) {
	t := c.T
	t.Helper()
	full = c.Start(i, c.Disk[i], nil)
	fullExec := full.Ready().Execute
	snap = c.Start(i, append(slices.Clip(ck), c.Disk[i][cut:]...), nil)
	snapExec := snap.Ready().Execute
	fl, sl := log(full), log(snap)
	if fl.Commit != sl.Commit || fl.Executed != sl.Executed {
		t.Fatalf("commit/executed %d/%d from the checkpoint, %d/%d from the whole log", sl.Commit, sl.Executed, fl.Commit, fl.Executed)
	}
	if want := fullExec[execAtCut:]; !slices.Equal(snapExec, want) {
		t.Fatalf("restored from the checkpoint it executes %d commands, want the %d not in the snapshot", len(snapExec), len(want))
	}
	if fl.End() != sl.End() {
		t.Fatalf("log ends at %d from the checkpoint, %d from the whole log", sl.End(), fl.End())
	}
	for s := sl.Base(); s < sl.End(); s++ {
		a, b := fl.Slot(s), sl.Slot(s)
		// The checkpoint may know a slot chosen that the log alone does not
		// (chosen by its own vote above the commit point); never less.
		if a.Has != b.Has || a.VBal != b.VBal || a.Committed && !b.Committed || (a.Committed || !b.Committed) && !a.Value.Same(b.Value) ||
			same != nil && !same(fl.At(s), sl.At(s)) {
			t.Fatalf("slot %d: %+v from the checkpoint, %+v from the whole log", s, *sl.At(s), *fl.At(s))
		}
	}
	return full, snap
}

// ProposeN hands replica i k writes of client i+1, on keys k0, k1 and k2
// in turn, each with the next command id of the net, delivering what
// follows each.
func (c *Net[P]) ProposeN(i, k int) {
	for range k {
		c.ids++
		c.Propose(i, Put(uint64(i+1), c.ids, fmt.Sprint("k", c.ids%3), "v"))
	}
}

// RequireBigBatchesExecuted runs BigBatches and requires every replica to
// have executed every command once, and in the order proposed if inOrder
// (a protocol with one leader).
func RequireBigBatchesExecuted[P paxi.Protocol](c *Net[P], inOrder bool) {
	c.T.Helper()
	want := BigBatches(c)
	for i := range c.Reps {
		if inOrder {
			c.RequireExecuted(i, want)
		} else {
			c.RequireExecutedOnce(i, want)
		}
	}
}

// CatchUpBigBatch runs MissedBigBatch, then more (if set), then ticks
// every replica n times, fails the test if any message was over the frame,
// and returns the commands replica 2 caught up on.
func CatchUpBigBatch[P paxi.Protocol](c *Net[P], n int, more func()) []paxi.Command {
	c.T.Helper()
	cmds := MissedBigBatch(c)
	if more != nil {
		more()
	}
	c.TickAll(n)
	c.RequireUnderFrame()
	return cmds
}
