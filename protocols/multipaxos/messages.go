package multipaxos

import (
	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/slotpaxos"
)

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

// Vote, Learned, Committed and Chosen are slotpaxos's: a vote (also the
// record an acceptor persists before it answers an Accept), a chosen value
// learned from a peer, the commit point, and a catch-up answer.
type (
	Vote      = slotpaxos.Vote
	Learned   = slotpaxos.Learned
	Committed = slotpaxos.Committed
	Chosen    = slotpaxos.Chosen
)

// Promised is the record of a promise, persisted before the Promise leaves.
type Promised struct {
	Ballot paxi.Ballot
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
// value at Ballot knows it is the chosen one. A leader announces only
// slots whose value it proposed at Ballot or learned chosen at a lower
// one (see onChosen). Executed is what each replica executed, as far as
// the leader heard in its Accepteds (slotpaxos.Log.Executions): followers
// forget by it. A leader sends a Heartbeat in every Ready that moves its
// commit point, so at saturation followers learn it as often as Accepts
// would carry it.
type Heartbeat struct {
	Ballot   paxi.Ballot
	Commit   int64
	Executed []int64
}

// Forward carries client commands from the replica they arrived at to the
// leader. A replica that is not the leader passes it on to the leader it
// knows, Hops counting how often that happened: views of the leader
// disagree while an election settles, and a Forward passed on N times is
// dropped (the commands' own replica retries them) rather than circling.
type Forward struct {
	Cmds []paxi.Command
	Hops int32
}

// CatchUp asks the leader for the chosen values of slots From and above.
type CatchUp struct {
	From int64
}

func init() {
	paxi.RegisterMessage("multipaxos.Prepare", &Prepare{})
	paxi.RegisterMessage("multipaxos.Promise", &Promise{})
	paxi.RegisterMessage("multipaxos.Promised", &Promised{})
	paxi.RegisterMessage("multipaxos.Accept", &Accept{})
	paxi.RegisterMessage("multipaxos.Accepted", &Accepted{})
	paxi.RegisterMessage("multipaxos.Reject", &Reject{})
	paxi.RegisterMessage("multipaxos.Heartbeat", &Heartbeat{})
	paxi.RegisterMessage("multipaxos.Forward", &Forward{})
	paxi.RegisterMessage("multipaxos.CatchUp", &CatchUp{})
}
