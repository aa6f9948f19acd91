package slotpaxos

import "github.com/agora-consensus/agora/paxi"

// Vote is one slot's value as a replica holds it. It is the record an
// acceptor persists before it answers a proposal (Committed never set
// there), an entry of a phase-1 reply, and an entry of a catch-up answer.
type Vote struct {
	Slot   int64
	Ballot paxi.Ballot // the ballot it was accepted at
	Cmds   []paxi.Command
	Noop   bool
	// Committed is set when the sender knows the value chosen; then Ballot
	// is the sender's own vote's, which may be older than the value's.
	Committed bool
}

// Value is the vote's value.
func (v *Vote) Value() Value { return Value{Cmds: v.Cmds, Noop: v.Noop} }

// Learned is the record of a chosen value learned from a peer rather than
// voted for. It is not a vote: it never counts in phase 1.
type Learned struct {
	Slot int64
	Cmds []paxi.Command
	Noop bool
}

// Committed is the record of a commit point: the slots below Upto are
// chosen, and for each the value this replica holds is the chosen one (its
// latest Learned record for the slot if it has one, else what its
// protocol restored there: its latest vote, or a skip). A later vote in a
// chosen slot can only be for the chosen value.
type Committed struct {
	Upto int64
}

// Chosen carries chosen values (Committed set in each) in slot order, in
// answer to a request for them. Commit is the sender's commit point: the
// receiver learns how far there is to catch up.
type Chosen struct {
	Votes  []Vote
	Commit int64
}

func init() {
	paxi.RegisterMessage("slotpaxos.Vote", &Vote{})
	paxi.RegisterMessage("slotpaxos.Learned", &Learned{})
	paxi.RegisterMessage("slotpaxos.Committed", &Committed{})
	paxi.RegisterMessage("slotpaxos.Chosen", &Chosen{})
}
