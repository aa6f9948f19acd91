package slotpaxos

import (
	"fmt"

	"github.com/agora-consensus/agora/paxi"
)

// Log is a replica's slots with its commit and executed points. E is the
// protocol's per-slot state, which holds a Slot (the slot func finds it).
type Log[E any] struct {
	paxi.Slots[E] // below its Base, executed everywhere and forgotten
	slot          func(*E) *Slot
	// Commit: every slot below is chosen and held here. Executed: every
	// slot below is executed. Executed <= Commit.
	Commit, Executed int64
	durable          int64   // the commit point last persisted
	lazy             bool    // see LazyCommit
	restored         int64   // the highest commit point the records name
	snapExec         int64   // executed point of the snapshot restored from (Snapshotted)
	saved, newest    int64   // executed points of the snapshot saved before the newest, and of the newest (catchup.go)
	taken            int64   // executed point of the last Checkpoint
	peerExec         []int64 // what each replica said it executed
	peerCommit       []int64 // the commit point each replica last reported
	heard            []int64 // tick each replica was last heard from (forget.go)
	now              int64   // the tick of the last Report
	catchUp          bool    // a snapshot was saved or restored from: peers can be sent one
	self             int
	progress         paxi.ProgressReport
}

// NewLog makes the log of replica self of n; slot finds the Slot in E.
// Its progress goes to the peers every progressTicks while it moves, and
// every idleTicks when it does not (see Report).
func NewLog[E any](self, n int, progressTicks, idleTicks int, slot func(*E) *Slot) Log[E] {
	return Log[E]{slot: slot, self: self, peerExec: make([]int64, n), peerCommit: make([]int64, n),
		heard: make([]int64, n), progress: paxi.ProgressReport{Every: int64(progressTicks), Idle: int64(idleTicks)}}
}

// Slot returns slot s's Slot; Base <= s < End.
func (l *Log[E]) Slot(s int64) *Slot { return l.slot(l.At(s)) }

// Advance moves the commit point over the chosen slots and executes them
// in slot order: exec is called for every command of a slot that is not a
// no-op.
func (l *Log[E]) Advance(exec func(paxi.Command)) {
	for l.Commit < l.End() && l.Slot(l.Commit).Committed {
		l.Commit++
	}
	for l.Executed < l.Commit {
		if s := l.Slot(l.Executed); !s.Noop {
			for _, c := range s.Cmds {
				exec(c)
			}
		}
		l.Executed++
	}
}

// Durable returns the record of the commit point when it moved since the
// last one, to be persisted in this Ready: a replica never says it
// executed what it would not execute again after a restart (Reported).
func (l *Log[E]) Durable() (*Committed, bool) {
	if l.Commit <= l.durable {
		return nil, false
	}
	l.durable = l.Commit
	return &Committed{Upto: l.Commit}, true
}

// DurableCommit is the commit point last returned by Durable (or restored).
func (l *Log[E]) DurableCommit() int64 { return l.durable }

// LazyCommit is for a protocol that does not persist the commit point in
// every Ready that moves it, but only with the next record it writes
// anyway (Mencius): Reported then stops at the commit point last
// persisted.
func (l *Log[E]) LazyCommit() { l.lazy = true }

// Reported is the executed point this replica tells its peers, who forget
// what every replica executed: every slot below it is executed and below a
// commit point persisted by the time the message leaves, so a restart
// executes it again from its own records. Without LazyCommit that is
// Executed, since every Ready persists the commit point (Durable) before
// any message.
func (l *Log[E]) Reported() int64 {
	if l.lazy {
		return min(l.Executed, l.durable)
	}
	return l.Executed
}

// Report returns this replica's progress for every peer when one is due at
// tick now (paxi.ProgressReport), with Executed as Reported.
func (l *Log[E]) Report(now int64) (*paxi.SlotProgress, bool) {
	l.now = now
	p := paxi.SlotProgress{Executed: l.Reported(), Commit: l.Commit}
	return &p, l.progress.Due(now, p)
}

// NoteExecuted records that peer p executed every slot below x (and
// persisted its commit point first).
func (l *Log[E]) NoteExecuted(p int, x int64) { l.peerExec[p] = max(l.peerExec[p], x) }

// NoteProgress takes peer p's report.
func (l *Log[E]) NoteProgress(p int, m *paxi.SlotProgress) {
	l.NoteExecuted(p, m.Executed)
	l.peerCommit[p] = max(l.peerCommit[p], m.Commit)
}

// PeerCommit is the commit point peer p last reported.
func (l *Log[E]) PeerCommit(p int) int64 { return l.peerCommit[p] }

// Restore takes one of the records this package defines (Vote, Learned,
// Committed), and refuses any other.
func (l *Log[E]) Restore(m paxi.Message) error {
	switch m := m.(type) {
	case *Vote:
		return l.restoreVote(m)
	case *Learned:
		return l.restoreLearned(m)
	case *Committed:
		l.restored = max(l.restored, m.Upto)
		return nil
	case *Snapshotted:
		return l.restoreSnapshotted(m)
	}
	return fmt.Errorf("unexpected record %T", m)
}

// restoreVote takes a Vote record: per slot, the vote of the highest
// ballot, unless a chosen value was learned there.
func (l *Log[E]) restoreVote(v *Vote) error {
	if v.Slot < 0 {
		return fmt.Errorf("vote record of slot %d", v.Slot)
	}
	if v.Slot < l.Base() {
		return nil // executed everywhere before the snapshot restored from
	}
	if s := l.slot(l.Grow(v.Slot)); v.Ballot >= s.VBal && !s.Committed {
		s.Value, s.Has, s.VBal = v.Value(), true, v.Ballot
	}
	return nil
}

// restoreLearned takes a Learned record.
func (l *Log[E]) restoreLearned(m *Learned) error {
	if m.Slot < 0 {
		return fmt.Errorf("learned record of slot %d", m.Slot)
	}
	if m.Slot < l.Base() {
		return nil // executed everywhere before the snapshot restored from
	}
	l.slot(l.Grow(m.Slot)).Choose(Value{Cmds: m.Cmds, Noop: m.Noop})
	return nil
}

// Restored ends a restore, once every record was taken: the slots below
// the persisted commit point are chosen, with the values held for them.
// The caller then calls Advance to execute them again.
func (l *Log[E]) Restored() error {
	if l.restored > l.End() {
		return fmt.Errorf("records say slots below %d are committed, but hold only %d", l.restored, l.End())
	}
	for s := l.Base(); s < l.restored; s++ {
		sl := l.Slot(s)
		if !sl.Has {
			return fmt.Errorf("records say slot %d is committed, but hold no value for it", s)
		}
		sl.Committed = true
	}
	l.durable = l.restored
	// The slots below the snapshot's executed point are in the restored
	// state machine: execution resumes after them.
	l.Commit, l.Executed = max(l.Commit, l.snapExec), max(l.Executed, l.snapExec)
	return nil
}

// Answer builds a catch-up answer, at most paxi.MessageBudget bytes of
// chosen values (paxi.Budget): a few thousand slots of full batches would
// not fit one frame.
type Answer struct {
	Votes  []Vote
	budget paxi.Budget
}

// Add appends slot n if it is chosen here, and reports false, adding
// nothing, once the answer is full.
func (a *Answer) Add(n int64, s *Slot) bool {
	if !s.Committed {
		return true
	}
	if !a.budget.Take(paxi.EntryBytes(s.Cmds, 0)) {
		return false
	}
	a.Votes = append(a.Votes, s.Report(n))
	return true
}
