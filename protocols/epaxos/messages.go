package epaxos

import "github.com/agora-consensus/agora/paxi"

// Messages name instances by (Row, Inst): Row is the index of the instance's
// command leader in the sorted peer list (every replica sorts it the same
// way), Inst the instance number in that row. Deps[q] = k means the instance
// depends on every instance (q, 0..k) (-1: none in row q); see conflicts.go
// for why the whole prefix is meant and not just (q, k). Messages never
// carry their sender: the host passes it to Step, and votes are counted per
// sender with paxi.Votes. Slices in a sent message are shared with the
// sender's state and must not be modified by anyone.

// PreAccept is phase 1: the command leader proposes a batch with the
// attributes it computed from its own view.
type PreAccept struct {
	Ballot paxi.Ballot
	Row    int32
	Inst   int64
	Seq    int64
	Deps   []int64
	Cmds   []paxi.Command
	// Noop marks an instance that executes nothing. It is explicit so that
	// an empty batch is never mistaken for anything else.
	Noop bool
}

// PreAcceptReply answers a PreAccept with the acceptor's attributes.
type PreAcceptReply struct {
	// Ballot is the PreAccept's ballot when OK, else the higher ballot the
	// acceptor has promised.
	Ballot paxi.Ballot
	Row    int32
	Inst   int64
	OK     bool
	Seq    int64
	Deps   []int64
	// Unchanged is true when the acceptor pre-accepted the leader's
	// attributes as they were; the fast path needs it from every reply.
	Unchanged bool
	// CommittedDeps has bit q set when instance (q, Deps[q]) is committed at
	// the acceptor, which the optimized fast path needs (decideFastPath).
	CommittedDeps uint64
}

// Accept is phase 2 (the slow path): the leader asks a majority to accept
// the union of the attributes it collected.
type Accept struct {
	Ballot paxi.Ballot
	Row    int32
	Inst   int64
	Seq    int64
	Deps   []int64
	// HasCmds says Cmds and Noop are present. The leader leaves them out for
	// peers that already hold them (they answered the PreAccept).
	HasCmds bool
	Cmds    []paxi.Command
	Noop    bool
}

// AcceptReply answers an Accept.
type AcceptReply struct {
	// Ballot is the Accept's ballot when OK, else the acceptor's promise.
	Ballot paxi.Ballot
	Row    int32
	Inst   int64
	OK     bool
}

// Commit announces the final attributes of an instance to every replica.
type Commit struct {
	Row  int32
	Inst int64
	Seq  int64
	Deps []int64
	// HasCmds says Cmds and Noop are present; first Commits leave them out
	// for peers that voted, resent Commits always carry them.
	HasCmds bool
	Cmds    []paxi.Command
	Noop    bool
	// Prefix, from the row's leader, says it had committed its row below
	// instance Prefix when it sent this, and so had sent those Commits
	// before (0: no claim). A replica that lacks one lost it (rto.go).
	Prefix int64
}

// Progress tells peers how far the sender has committed each row: UpTo[q] is
// the highest k such that every instance (q, 0..k) is committed at the
// sender. A replica whose prefix of a row is below a peer's asks for the
// difference (CommitRequest), and leaders resend Commits beyond their own
// prefix, so a lost Commit never leaves a replica behind for good.
type Progress struct {
	UpTo []int64
	// Ask requests the receiver's Progress in return: the sender has not
	// heard from it since it started, and may have missed commits while it
	// was down even though nothing changes any more.
	Ask bool
	// Silent is the set of peers (bit p for replica p) the sender has not
	// heard from for two retry periods: a replica forgets past a silent
	// peer only if every peer it hears from says so too (forget.go).
	Silent uint64
}

// CommitRequest asks a peer that reported having committed instances
// (Row, From..To) for their Commits (catchup.go).
type CommitRequest struct {
	Row  int32
	From int64
	To   int64
	// Have has bit i-From set for each instance i of the range the sender
	// has committed already, so that one request fills every gap of the
	// range and the answer carries only what is missing.
	Have []uint64
}

// Commits answers a CommitRequest with every instance of the range that is
// committed at the sender, commands included, in instance order.
type Commits struct {
	Row     int32
	Entries []Commit
}

// VoteRecord is persisted before a PreAcceptReply or AcceptReply (or the
// leader's own PreAccept or Accept) leaves: the replica's vote on an
// instance. Bal is the highest ballot promised and VBal the ballot of this
// vote; they are kept apart because recovery must pick accepted values by
// the ballot they were voted in, not by a later promise.
type VoteRecord struct {
	Row      int32
	Inst     int64
	Bal      paxi.Ballot
	VBal     paxi.Ballot
	Accepted bool // false: pre-accepted
	Seq      int64
	Deps     []int64
	// Unchanged is whether the leader's attributes were pre-accepted as
	// they were (recovery looks for enough such votes).
	Unchanged bool
	// HasCmds says Cmds and Noop are present; a later vote on the same
	// instance leaves them out when an earlier record already holds them.
	HasCmds bool
	Cmds    []paxi.Command
	Noop    bool
}

// CommitRecord is persisted when an instance commits at this replica,
// before anything that depends on the commit leaves or executes.
type CommitRecord struct {
	Row     int32
	Inst    int64
	Seq     int64
	Deps    []int64
	HasCmds bool // as in VoteRecord
	Cmds    []paxi.Command
	Noop    bool
}

func init() {
	paxi.RegisterMessage("epaxos.PreAccept", &PreAccept{})
	paxi.RegisterMessage("epaxos.PreAcceptReply", &PreAcceptReply{})
	paxi.RegisterMessage("epaxos.Accept", &Accept{})
	paxi.RegisterMessage("epaxos.AcceptReply", &AcceptReply{})
	paxi.RegisterMessage("epaxos.Commit", &Commit{})
	paxi.RegisterMessage("epaxos.Progress", &Progress{})
	paxi.RegisterMessage("epaxos.CommitRequest", &CommitRequest{})
	paxi.RegisterMessage("epaxos.Commits", &Commits{})
	paxi.RegisterMessage("epaxos.VoteRecord", &VoteRecord{})
	paxi.RegisterMessage("epaxos.CommitRecord", &CommitRecord{})
}
