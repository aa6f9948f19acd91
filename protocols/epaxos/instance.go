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
	// The small fields come first so they pack into one word.
	row    int32  // index of the command leader in the peer list
	status Status // how far it got here
	// hasCmds is false while only the attributes are known (an Accept or a
	// Commit without commands); cmds and noop are meaningful only when true.
	hasCmds bool
	noop    bool // an explicit no-op, never an empty batch
	// unchanged is whether this replica pre-accepted the leader's attributes
	// without adding to them.
	unchanged bool
	// indexed says the conflict index holds this instance, with seq
	// indexedSeq; entering it again is needed only when its seq grew.
	indexed     bool
	inst        int64          // instance number in the row
	cmds        []paxi.Command // the batch, in proposal order
	seq         int64          // the sequence attribute
	deps        []int64        // per row, highest instance depended on; never modified in place
	bal         paxi.Ballot    // highest ballot promised
	vbal        paxi.Ballot    // ballot of the last vote (pre-accept or accept)
	indexedSeq  int64
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
	// The phase's sends (rto.go): phaseSeq is r.sendSeq of its first send,
	// sentAt its tick; resent says it went out again (no round-trip
	// samples); tries counts timer expiries, gapResends gap-driven resends.
	phaseSeq   int64
	sentAt     int64
	firstWait  int
	resent     bool
	tries      uint8
	gapResends uint8
	// recovery: this replica drives the instance at a recovery ballot
	// (recovery.go): phase 1 decides at a majority and never fast.
	recovery bool
}

// instChunkBits sets how many instances are allocated at once (1024):
// one allocation per chunk instead of one per instance keeps the garbage
// collector's work down on the hot path.
const instChunkBits = 10

// instRow holds the instances of one row in fixed-size chunks, so instance
// pointers stay valid as the row grows. The instances below forgotten are
// gone (forget.go): their state is zeroed and the chunks wholly below it
// are released (nil). A chunk above them is nil until one of its instances
// is touched: a message may name an instance far past the others
// (bounds.go), and the instances in between must not cost memory.
type instRow struct {
	chunks    [][]instance
	known     int64 // one more than the highest instance number touched
	forgotten int64 // instances 0..forgotten-1 are forgotten
	released  int   // chunks[:released] are nil
}

// rows holds every known instance, row by row.
type rows []instRow

// get returns instance (row, i), or nil if it is forgotten or nothing in
// its chunk or above i in the row was ever touched. Other instances come
// back with status None when this replica knows nothing of them.
func (rs rows) get(row int32, i int64) *instance {
	r := &rs[row]
	if i < r.forgotten || i < 0 || i >= r.known {
		return nil
	}
	chunk := r.chunks[i>>instChunkBits]
	if chunk == nil {
		return nil
	}
	return &chunk[i&(1<<instChunkBits-1)]
}

// getOrCreate returns instance (row, i), making room for it.
func (rs rows) getOrCreate(row int32, i int64) *instance {
	if i < 0 {
		panic(fmt.Sprintf("epaxos: negative instance number (%d,%d)", row, i))
	}
	r := &rs[row]
	if i < r.forgotten {
		panic(fmt.Sprintf("epaxos: instance (%d,%d) wanted after it was forgotten (row forgotten below %d)", row, i, r.forgotten))
	}
	c := int(i >> instChunkBits)
	chunk, fresh := chunkAt(&r.chunks, c, 1<<instChunkBits)
	if fresh {
		base := int64(c) << instChunkBits
		for k := range chunk {
			chunk[k].row, chunk[k].inst = row, base+int64(k)
		}
	}
	r.known = max(r.known, i+1)
	return &chunk[i&(1<<instChunkBits-1)]
}

// chunkAt returns chunk c of a chunk table (the instances of a row here,
// the vertices of a row in executor.go), lengthening the table with nil
// chunks and allocating chunk c, of size zero values, if it is nil; fresh
// says it was just allocated. Only the chunk asked for is allocated: the
// ones skipped over cost a nil entry each (bounds.go).
func chunkAt[T any](table *[][]T, c, size int) (chunk []T, fresh bool) {
	for len(*table) <= c {
		*table = append(*table, nil)
	}
	if chunk = (*table)[c]; chunk == nil {
		chunk = make([]T, size)
		(*table)[c] = chunk
		fresh = true
	}
	return chunk, fresh
}

// known is one more than the highest instance number touched in row.
func (rs rows) known(row int32) int64 { return rs[row].known }

// isForgotten reports whether instance (row, i) was forgotten: it is
// committed and executed here and committed at every peer.
func (rs rows) isForgotten(row int32, i int64) bool { return i < rs[row].forgotten }

// held is the number of instances the rows hold: known and not forgotten.
func (rs rows) held() int64 {
	var n int64
	for q := range rs {
		n += rs[q].known - rs[q].forgotten
	}
	return n
}
