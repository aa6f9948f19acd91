package slotpaxos

import (
	"slices"

	"github.com/agora-consensus/agora/paxi"
)

// Value is what one slot decides: a batch of commands, or a no-op. Noop is
// explicit so that an empty batch is never mistaken for one.
type Value struct {
	Cmds []paxi.Command
	Noop bool
}

// Same reports whether v and w are the same value.
func (v Value) Same(w Value) bool { return v.Noop == w.Noop && slices.Equal(v.Cmds, w.Cmds) }

// Slot is one slot as a replica holds it: its vote, or the chosen value.
// Protocols embed it in their own per-slot state.
type Slot struct {
	Value
	Has       bool        // holds a value: its vote, a skip or the chosen value
	VBal      paxi.Ballot // the ballot of its vote (0: it holds no vote)
	Committed bool        // the value held is the chosen one
}

// Accept records a vote for v at ballot b (the caller persists a Vote
// record before it says so) and reports whether it is a new vote, which
// needs a record: a vote at the same ballot is for the same value.
func (s *Slot) Accept(b paxi.Ballot, v Value) bool {
	if s.Has && s.VBal == b {
		return false
	}
	s.Value, s.Has, s.VBal = v, true, b
	return true
}

// Learn takes a commit of ballot b: the value held is the chosen one if
// this replica voted for it at b, since a proposer proposes one value per
// slot per ballot. It reports whether the slot is known chosen.
func (s *Slot) Learn(b paxi.Ballot) bool {
	if !s.Committed && s.Has && s.VBal == b {
		s.Committed = true
	}
	return s.Committed
}

// Choose holds v as the chosen value, learned from a peer rather than voted
// for: VBal stays the ballot of this replica's own vote, which is not a
// vote for v. The caller persists a Learned record.
func (s *Slot) Choose(v Value) { s.Value, s.Has, s.Committed = v, true, true }

// Report is the slot as a phase-1 reply or a catch-up answer lists it.
func (s *Slot) Report(slot int64) Vote {
	return Vote{Slot: slot, Ballot: s.VBal, Cmds: s.Cmds, Noop: s.Noop, Committed: s.Committed}
}

// Better reports whether v should replace best as what phase 1 found in a
// slot: a value known chosen beats everything, and otherwise the vote of
// the higher ballot wins (best.Slot < 0: nothing found yet).
func Better(best, v *Vote) bool {
	return best.Slot < 0 || (!best.Committed && (v.Committed || v.Ballot > best.Ballot))
}
