package mencius

import (
	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/slotpaxos"
)

// Messages never carry their sender: the host passes it to Step. Slices in
// a sent message are shared with the sender's state and must not be
// modified by anyone.
//
// Every slot is its own instance of Paxos. Slot s belongs to replica
// s mod N, its owner, which holds the slot's first ballot, Default(owner),
// without a phase 1: no lower ballot exists for the slot. Only the owner
// proposes commands in its slots; anyone else proposes there only after a
// phase 1 with a higher ballot (revocation), and then only the value it
// found or a no-op.

// Accept proposes a value for Slot at Ballot.
type Accept struct {
	Ballot paxi.Ballot
	Slot   int64
	Cmds   []paxi.Command
	Noop   bool
}

// Accepts is Accept for several slots at one Ballot, a revocation's: it
// proposes in its whole range with one message per peer (cut to
// paxi.MessageBudget bytes) instead of one per slot. The 256 Accepts of a
// range were 256 inputs for each acceptor, and a replica catching up after
// a restart, whose vote the revocation needs, took them at the pace it
// could (0.77 s of a simulated replica at 3 ms per input).
type Accepts struct {
	Ballot paxi.Ballot
	Props  []Proposed
}

// Proposed is one slot's proposal in Accepts.
type Proposed struct {
	Slot int64
	Cmds []paxi.Command
	Noop bool
}

// AcceptedSlots answers Accepts: the sender durably accepted Slots' values
// at Ballot. Executed is as in Accepted.
type AcceptedSlots struct {
	Ballot   paxi.Ballot
	Slots    []int64
	Executed int64
}

// Accepted says the sender durably accepted Slot's value at Ballot.
//
// Executed is every slot below which the sender has executed (and
// persisted as Committed before saying so); see forget.
type Accepted struct {
	Ballot   paxi.Ballot
	Slot     int64
	Executed int64
}

// Commit says the values the sender proposed at Ballot in Slots are chosen:
// a replica that accepted a slot's value at Ballot knows it is the chosen
// one (a proposer proposes one value per slot per ballot).
//
// Executed is as in Accepted.
type Commit struct {
	Ballot   paxi.Ballot
	Slots    []int64
	Executed int64
}

// Skip is an owner giving up its slots From, From+N, ..., below To: it
// proposed nothing in them and never will, so each is a no-op. No other
// value can be chosen there (a revoker proposes only what it finds or a
// no-op), so a replica that learns a skip executes it without a quorum.
// Also the record of a skip: an entry of Records (alone in a log written
// before them), persisted by an owner before it announces the skip.
type Skip struct {
	From, To int64
}

// Prepare is phase 1 for Owner's slots in [From, To): the sender asks for
// a promise of Ballot in each, and for the votes held there.
type Prepare struct {
	Ballot   paxi.Ballot
	Owner    int32
	From, To int64
	// Resume, when set, asks for the rest of a Promise that stopped at
	// slot Resume (Promise.Next).
	Resume int64
}

// Promise answers a Prepare: the sender promised Ballot in every slot of
// the range, and Votes are what it holds there from max(From, Resume) on.
// They are cut to paxi.MessageBudget bytes: Next is then the first slot
// left out, which the revoker asks for with another Prepare (Resume:
// Next), and counts the promise only once it has every part (Next 0).
type Promise struct {
	Ballot   paxi.Ballot
	Owner    int32
	From, To int64
	Resume   int64
	Votes    []Vote
	Next     int64
}

// A vote, as a Promise lists it, and the record of a vote (persisted
// before the Accepted leaves) are a slotpaxos.Vote; chosen values learned
// from a peer are persisted as slotpaxos.Learned (not a vote: it never
// counts in phase 1), the commit point as slotpaxos.Committed (every slot
// below Upto is chosen, and the value held for it, Learned if any, else
// the latest vote, else a skip, is the chosen one), all of them as entries
// of Records (records of their own in a log written before them), and
// chosen values go in answer to a Need in a slotpaxos.Chosen.
type (
	Vote  = slotpaxos.Vote
	Voted = slotpaxos.Vote
)

// Promised is the record of a promise for Owner's slots in [From, To).
type Promised struct {
	Ballot   paxi.Ballot
	Owner    int32
	From, To int64
}

// Reject tells a proposer that the sender promised Ballot in Slot, above
// the proposer's.
type Reject struct {
	Ballot paxi.Ballot
	Slot   int64
}

// Need asks for the chosen values of Slots.
type Need struct {
	Slots []int64
}

func init() {
	for name, m := range map[string]paxi.Message{
		"mencius.Accept": &Accept{}, "mencius.Accepted": &Accepted{}, "mencius.Accepts": &Accepts{}, "mencius.AcceptedSlots": &AcceptedSlots{}, "mencius.Commit": &Commit{},
		"mencius.Skip": &Skip{}, "mencius.Prepare": &Prepare{}, "mencius.Promise": &Promise{},
		"mencius.Promised": &Promised{}, "mencius.Reject": &Reject{}, "mencius.Need": &Need{},
	} {
		paxi.RegisterMessage(name, m)
	}
}
