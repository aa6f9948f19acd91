package epaxos

import (
	"fmt"

	"github.com/agora-consensus/agora/paxi"
)

// Status is how far an instance has got at one replica. It only grows.
type Status uint8

const (
	// None: this replica has not voted on the instance (or never heard of it).
	None Status = iota
	// PreAccepted: this replica voted in phase 1.
	PreAccepted
	// Accepted: this replica voted in phase 2.
	Accepted
	// Committed: the attributes are final here; execution may be pending.
	Committed
	// Executed: the commands have been handed to the state machine.
	Executed
)

func (s Status) String() string {
	switch s {
	case None:
		return "none"
	case PreAccepted:
		return "preaccepted"
	case Accepted:
		return "accepted"
	case Committed:
		return "committed"
	case Executed:
		return "executed"
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// instance is one replica's state for instance (row, inst).
type instance struct {
	row    int32  // index of the command leader in the peer list
	inst   int64  // instance number in the row
	status Status // how far it got here
	// hasCmds is false while only the attributes are known (an Accept or a
	// Commit without commands); cmds and noop are meaningful only when true.
	hasCmds bool
	cmds    []paxi.Command // the batch, in proposal order
	noop    bool           // an explicit no-op, never an empty batch
	seq     int64          // the sequence attribute
	deps    []int64        // per row, highest instance depended on; never modified in place
	bal     paxi.Ballot    // highest ballot promised
	vbal    paxi.Ballot    // ballot of the last vote (pre-accept or accept)
	// unchanged is whether this replica pre-accepted the leader's attributes
	// without adding to them.
	unchanged   bool
	committedAt int64   // tick of the commit, for the commit-to-execute delay
	lead        *leader // set while this replica drives the instance to commit
}

func (in *instance) String() string {
	return fmt.Sprintf("(%d,%d) %v seq=%d deps=%v bal=%v vbal=%v", in.row, in.inst, in.status, in.seq, in.deps, in.bal, in.vbal)
}

// leader is the command leader's bookkeeping for an instance it is driving
// through PreAccept and Accept.
type leader struct {
	ballot paxi.Ballot // the ballot every message of this round carries
	phase  Status      // PreAccepted (collecting PreAcceptReplies) or Accepted
	// initSeq and initDeps are the attributes the leader proposed; the fast
	// path needs every reply to match them.
	initSeq  int64
	initDeps []int64
	// seq and deps are the union of the replies so far (max seq, per-row max
	// deps); deps is copied before its first change, never modified while
	// shared with initDeps.
	seq      int64
	deps     []int64
	depsOwn  bool
	replied  paxi.Votes // PreAcceptReply senders (OK ones)
	matching int        // how many of them were Unchanged
	// committedDeps has bit q set when (q, initDeps[q]) was known committed
	// by the leader when it proposed or by an Unchanged replier.
	committedDeps uint64
	accepted      paxi.Votes // AcceptReply senders (OK ones)
	sentTo        uint64     // peers (by index) sent this phase's message
	holders       uint64     // peers known to hold the commands
	fellBack      bool       // a thrifty send already fell back to everyone
	timer         paxi.Timer // retransmission and thrifty fallback
}

// rows holds every instance this replica knows, row by row, indexed by
// instance number.
type rows [][]*instance

// get returns instance (row, i), or nil if this replica knows nothing of it.
func (rs rows) get(row int32, i int64) *instance {
	r := rs[row]
	if i < 0 || i >= int64(len(r)) {
		return nil
	}
	return r[i]
}

// getOrCreate returns instance (row, i), creating an empty one.
func (rs rows) getOrCreate(row int32, i int64) *instance {
	if i < 0 {
		panic(fmt.Sprintf("epaxos: negative instance number (%d,%d)", row, i))
	}
	r := rs[row]
	if i >= int64(len(r)) {
		if i < int64(cap(r)) {
			r = r[:i+1]
		} else {
			grown := make([]*instance, i+1, max(2*cap(r), int(i)+1, 64))
			copy(grown, r)
			r = grown
		}
		rs[row] = r
	}
	in := r[i]
	if in == nil {
		in = &instance{row: row, inst: i}
		r[i] = in
	}
	return in
}
