package multipaxos

import "github.com/agora-consensus/agora/paxi"

// Messages never carry their sender: the host passes it to Step. Slices in
// a sent message are shared with the sender's state and must not be
// modified by anyone.

// Prepare is phase 1: a candidate asks every replica to promise Ballot and
// to report what it accepted in slots From and above. From is the
// candidate's commit point: it already knows every slot below.
type Prepare struct {
	Ballot paxi.Ballot
	From   int64
	// Resume, when above From, asks for the rest of a Promise that stopped
	// at slot Resume (Promise.Next).
	Resume int64
}

// Promise answers a Prepare: the sender will accept nothing below Ballot,
// and Votes are its votes (or the values it knows committed) in slots
// max(From, Resume) and above. They are cut to paxi.MessageBudget bytes:
// Next is then the first slot left out, which the candidate asks for with
// another Prepare (Resume: Next), and counts the promise only once it has
// every part (Next 0).
type Promise struct {
	Ballot paxi.Ballot
	From   int64
	Resume int64
	Votes  []Vote
	Next   int64
}

// Vote is one slot's value as an acceptor holds it. It is also the record
// an acceptor persists before it answers an Accept.
type Vote struct {
	Slot   int64
	Ballot paxi.Ballot // the ballot it was accepted at
	Cmds   []paxi.Command
	// Noop marks a slot that executes nothing (a hole a new leader filled).
	// It is explicit so that an empty batch is never mistaken for it.
	Noop bool
	// Committed is set in a Promise when the sender knows the value chosen
	// (then Ballot may be older than the value's); never in a record.
	Committed bool
}

// Promised is the record of a promise, persisted before the Promise leaves.
type Promised struct {
	Ballot paxi.Ballot
}

// Committed is the record of a commit point: the slots below Upto are
// chosen, and for each the value this replica holds is the chosen one (its
// latest Learned record for the slot if it has one, else its latest vote;
// a later vote in a chosen slot can only be for the chosen value). A
// restarted replica executes them from its own records, so it never needs
// slots that every replica has forgotten.
type Committed struct {
	Upto int64
}

// Learned is the record of a chosen value learned from a catch-up reply
// rather than voted for. It is not a vote: it never counts in phase 1.
type Learned struct {
	Slot int64
	Cmds []paxi.Command
	Noop bool
}

// Accept is phase 2: the leader of Ballot proposes a value for Slot. Commit
// is the leader's commit point, piggybacked.
type Accept struct {
	Ballot paxi.Ballot
	Slot   int64
	Cmds   []paxi.Command
	Noop   bool
	Commit int64
}

// Accepted says the sender durably accepted Slot's value at Ballot, and
// that it has executed every slot below Executed (which it persisted as a
// Committed record before saying so).
type Accepted struct {
	Ballot   paxi.Ballot
	Slot     int64
	Executed int64
}

// Reject tells a replica that the sender has promised Ballot, higher than
// the one it was asked about: the asker is no longer leader (or candidate).
type Reject struct {
	Ballot paxi.Ballot
}

// Heartbeat is the leader of Ballot announcing itself and its commit point:
// every slot below Commit is chosen, and a replica that accepted a slot's
// value at Ballot knows it is the chosen one.
//
// Forget is the lowest slot some replica has not executed: every replica
// executed the slots below it, so none will ask for them again, and each
// drops them from memory.
type Heartbeat struct {
	Ballot paxi.Ballot
	Commit int64
	Forget int64
}

// Forward carries client commands from the replica they arrived at to the
// leader.
type Forward struct {
	Cmds []paxi.Command
}

// CatchUp asks the leader for the chosen values of slots From and above.
type CatchUp struct {
	From int64
}

// Chosen carries chosen values, in slot order from From, in answer to a
// CatchUp. Commit is the sender's commit point.
type Chosen struct {
	From   int64
	Values []Value
	Commit int64
}

// Value is a chosen slot's content.
type Value struct {
	Cmds []paxi.Command
	Noop bool
}

func init() {
	paxi.RegisterMessage("multipaxos.Prepare", &Prepare{})
	paxi.RegisterMessage("multipaxos.Promise", &Promise{})
	paxi.RegisterMessage("multipaxos.Vote", &Vote{})
	paxi.RegisterMessage("multipaxos.Promised", &Promised{})
	paxi.RegisterMessage("multipaxos.Committed", &Committed{})
	paxi.RegisterMessage("multipaxos.Learned", &Learned{})
	paxi.RegisterMessage("multipaxos.Accept", &Accept{})
	paxi.RegisterMessage("multipaxos.Accepted", &Accepted{})
	paxi.RegisterMessage("multipaxos.Reject", &Reject{})
	paxi.RegisterMessage("multipaxos.Heartbeat", &Heartbeat{})
	paxi.RegisterMessage("multipaxos.Forward", &Forward{})
	paxi.RegisterMessage("multipaxos.CatchUp", &CatchUp{})
	paxi.RegisterMessage("multipaxos.Chosen", &Chosen{})
}
