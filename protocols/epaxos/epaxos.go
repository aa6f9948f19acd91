// Package epaxos implements Egalitarian Paxos (Moraru, Andersen, Kaminsky,
// SOSP 2013) as a deterministic paxi.Protocol core: normal operation
// (PreAccept, the fast path, Accept, Commit), batching, thrifty quorums,
// retransmission, persistence and restart, recovery of a failed replica's
// instances (explicit prepare, recovery.go and docs/RECOVERY.md), and
// execution by strongly connected components of the dependency graph.
//
// Each replica owns one row of instances; instance (R, i) is the i-th batch
// R leads. Files are named for what they do: preaccept.go holds phase 1 and
// the fast-path decision, accept.go the slow path, commit.go commits,
// executor.go and tarjan.go execution order, retransmit.go timers and
// resends, rto.go how a loss is noticed and repaired within about a round
// trip, catchup.go how a replica that is behind asks for what it missed,
// forget.go when an instance can be dropped from memory, bounds.go how far
// ahead a peer's message may reach, persist.go and restore.go durability,
// recovery.go explicit prepare.
package epaxos

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand"

	"github.com/agora-consensus/agora/paxi"
)

func init() {
	paxi.Register("epaxos", func(env paxi.Env) (paxi.Protocol, error) {
		r, err := New(env)
		if err != nil {
			return nil, err
		}
		return r, nil
	})
}

// maxReplicas is fixed by the bit sets (uint64) used for peer sets and the
// committed-dependency report.
const maxReplicas = 64

// Errors New returns for a cluster EPaxos cannot run on.
var (
	ErrEvenCluster = errors.New("epaxos: needs an odd number of replicas (N = 2F+1)")
	ErrTooMany     = fmt.Errorf("epaxos: at most %d replicas", maxReplicas)
	ErrNotAPeer    = errors.New("epaxos: own id is not among the peers")
	ErrBadNearest  = errors.New("epaxos: env.Nearest must list every other replica once")
)

// Replica is the EPaxos state of one replica. It is not safe for
// concurrent use: the host calls it from one goroutine.
type Replica struct {
	paxi.Outbox
	id     paxi.ID   // this replica
	peers  []paxi.ID // every replica, sorted; a replica's index is its row
	self   int32     // own row
	n      int       // number of replicas
	params Params
	q      quorums
	log    *slog.Logger
	ballot paxi.Ballot // the ballot this replica leads its own instances with

	rows          rows           // every known instance not yet forgotten (forget.go)
	next          int64          // next own instance number
	committedUpTo []int64        // per row: highest k with (row, 0..k) all committed here
	conflicts     conflictIndex  // latest instances per key
	exec          *executor      // execution order
	queue         []paxi.Command // proposals waiting for the next instance
	inflight      []*instance    // own instances still in PreAccept or Accept
	now           int64          // ticks since start
	execBuf       []paxi.Command // commands executed since the last Ready (execute.go)
	// execArrays are the arrays execBuf fills when a Ready executes more
	// than one batch, used by alternate Readies; execTurn is this one's.
	execArrays    [2][]paxi.Command
	execTurn      int
	execInArray   bool      // execBuf is execArrays[execTurn]
	freeLeaders   []*leader // leader states to reuse
	ownUnexecuted int64     // own instances started and not executed here (max_inflight)

	progress progressState // commit progress exchange and resends (retransmit.go)
	catchUp  catchUp       // requests for commits missed (catchup.go)
	snaps    snapshots     // this replica's snapshots, for forgetting (snapcatchup.go)
	// order lists the other replicas' indexes nearest first (env.Nearest,
	// else ring order): thrifty rounds ask the first ones, and commit
	// requests go to the first that can answer.
	order   []int
	suspect uint64 // peers that missed a thrifty deadline; avoided until they answer
	stats   counters
	// ahead is how far past its committed prefix of another replica's row
	// a message may name an instance: aheadWindow, except in tests
	// (bounds.go).
	ahead int64
	rec   recoveryState // explicit prepare (recovery.go)
	// rtt, sendSeq and sends time retransmissions (rto.go): the round trip
	// to each peer, a counter of round sends, and per peer the rounds sent
	// to it and not yet known answered, in send order.
	rtt     paxi.RoundTrips
	sendSeq int64
	sends   []sendLog
	// lossSeen is the tick of the last loss seen: thrifty rounds ask a
	// spare peer for a while after it (rto.go).
	lossSeen int64
	rand     *rand.Rand // env.Rand: recovery timer jitter
}

// New builds a replica from its environment, rebuilding state from
// env.Restored after a restart.
func New(env paxi.Env) (*Replica, error) {
	p := DefaultParams()
	if err := paxi.DecodeParams(env.Params, &p); err != nil {
		return nil, fmt.Errorf("epaxos: %w", err)
	}
	if err := p.validate(); err != nil {
		return nil, err
	}
	n := len(env.Peers)
	switch {
	case n > maxReplicas:
		return nil, ErrTooMany
	case n%2 == 0:
		return nil, fmt.Errorf("%w, got %d", ErrEvenCluster, n)
	}
	self := paxi.IndexOf(env.Peers, env.ID)
	if self < 0 {
		return nil, fmt.Errorf("%w: %s not in %v", ErrNotAPeer, env.ID, env.Peers)
	}
	log := env.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	r := &Replica{
		Outbox:        paxi.NewOutbox(env.ID, env.Peers),
		id:            env.ID,
		peers:         env.Peers,
		self:          int32(self),
		n:             n,
		params:        p,
		q:             newQuorums(n, p),
		log:           log.With("epaxos", env.ID),
		ballot:        paxi.NewBallot(0, env.ID),
		rows:          make(rows, n),
		committedUpTo: make([]int64, n),
		conflicts:     newConflictIndex(n),
		ahead:         aheadWindow,
		rand:          env.Rand,
	}
	for q := range r.committedUpTo {
		r.committedUpTo[q] = -1
	}
	r.exec = newExecutor(n, r)
	r.rtt = newRoundTrips(self, n, p)
	r.sends = make([]sendLog, n)
	r.lossSeen = -lossMemory * int64(p.RetryTicks)
	r.rec.init(n)
	r.progress.init(n, p.ProgressTicks, p.RetryTicks)
	r.catchUp.init(n, r.others())
	order, err := r.peerOrder(env.Nearest)
	if err != nil {
		return nil, err
	}
	r.order = order
	r.snaps.moved = make([]int64, n)
	if err := r.restore(env.Restored); err != nil {
		return nil, err
	}
	r.snaps.startMoving(ownCheckpoint(env.Restored) > 0) // (snapcatchup.go)
	return r, nil
}

// Propose queues a client command. It joins the next instance this replica
// starts, when the host next takes Ready (batch.go).
func (r *Replica) Propose(req paxi.Request) {
	r.queue = append(r.queue, req.Command)
}

// Step handles a message from peer from.
func (r *Replica) Step(from paxi.ID, msg paxi.Message) {
	p := paxi.IndexOf(r.peers, from)
	if p < 0 || p == int(r.self) {
		r.log.Warn("ignoring message from a non-peer", "from", from, "msg", paxi.MessageName(msg))
		return
	}
	// Any message shows the peer is up: thrifty rounds may use it again.
	r.suspect &^= bit(p)
	r.rec.heard[p] = r.now
	r.rec.down &^= bit(p)
	switch m := msg.(type) {
	case *PreAccept:
		if r.validRef(from, m.Row, m.Inst, m.Deps) && r.validBatch(from, "PreAccept", true, m.Cmds, m.Noop) {
			r.onPreAccept(from, p, m)
		}
	case *PreAcceptReply:
		if r.validRef(from, m.Row, m.Inst, nil) && (!m.OK || r.validDeps(from, m.Deps)) {
			r.onPreAcceptReply(from, p, m)
		}
	case *Accept:
		if r.validRef(from, m.Row, m.Inst, m.Deps) && r.validBatch(from, "Accept", m.HasCmds, m.Cmds, m.Noop) {
			r.onAccept(from, p, m)
		}
	case *AcceptReply:
		if r.validRef(from, m.Row, m.Inst, nil) {
			r.onAcceptReply(from, p, m)
		}
	case *Commit:
		if r.validRef(from, m.Row, m.Inst, m.Deps) && r.validBatch(from, "Commit", m.HasCmds, m.Cmds, m.Noop) {
			r.onCommit(from, p, m)
		}
	case *Progress:
		if len(m.UpTo) == r.n {
			r.onProgress(p, m)
		}
	case *Prepare:
		if r.validRef(from, m.Row, m.Inst, nil) {
			r.onPrepare(from, m)
		}
	case *PrepareReply:
		if r.validRef(from, m.Row, m.Inst, nil) && (!m.OK || m.Status == None || m.Status <= Accepted && m.HasCmds && r.validDeps(from, m.Deps) && r.validBatch(from, "PrepareReply", true, m.Cmds, m.Noop)) {
			r.onPrepareReply(p, m)
		}
	case *Validate:
		// A validation is of a command, never of a no-op or nothing.
		if r.validRef(from, m.Row, m.Inst, m.Deps) && r.validBatch(from, "Validate", true, m.Cmds, false) {
			r.onValidate(from, m)
		}
	case *ValidateReply:
		if r.validValidateReply(from, m) {
			r.onValidateReply(p, m)
		}
	case *CommitRequest:
		if r.validRef(from, m.Row, m.From, nil) {
			r.onCommitRequest(from, m)
		}
	case *Commits:
		if r.validCommits(from, m) {
			r.onCommits(p, m)
		}
	default:
		r.log.Warn("ignoring unknown message", "from", from, "msg", paxi.MessageName(msg))
	}
}

// Ready starts an instance for whatever was proposed since the last call
// and hands over everything produced.
func (r *Replica) Ready() paxi.Ready {
	r.flushProposals()
	rd := r.Outbox.Ready()
	if r.execInArray {
		// The array's length records how much of it holds commands, the
		// part the next use must clear (execute.go).
		r.execArrays[r.execTurn] = r.execBuf
		r.execInArray = false
	}
	if len(r.execBuf) > 0 {
		rd.Execute, r.execBuf = r.execBuf, nil
	}
	r.execTurn ^= 1
	return rd
}

// bit is the set {p}.
func bit(p int) uint64 { return 1 << uint(p) }

// nearestPeers returns the first k peers of r.order, skipping those in
// avoid unless there are not enough others. In thrifty mode these are the
// peers asked, so the quorum that decides is the nearest one that is up.
func (r *Replica) nearestPeers(k int, avoid uint64) uint64 {
	var set uint64
	got := 0
	for pass := 0; pass < 2 && got < k; pass++ {
		for _, p := range r.order {
			if got == k {
				break
			}
			if set&bit(p) != 0 || (pass == 0 && avoid&bit(p) != 0) {
				continue
			}
			set |= bit(p)
			got++
		}
	}
	return set
}

// peerOrder turns env.Nearest into peer indexes. Without it, ring order
// after this replica: each leader's quorum is its successors, which
// spreads the load when every peer is as near as any other.
func (r *Replica) peerOrder(nearest []paxi.ID) ([]int, error) {
	out := make([]int, 0, r.n-1)
	if len(nearest) == 0 {
		for d := 1; d < r.n; d++ {
			out = append(out, (int(r.self)+d)%r.n)
		}
		return out, nil
	}
	seen := bit(int(r.self))
	for _, id := range nearest {
		p := paxi.IndexOf(r.peers, id)
		if p < 0 || seen&bit(p) != 0 {
			return nil, fmt.Errorf("%w: %v (peers %v)", ErrBadNearest, nearest, r.peers)
		}
		seen |= bit(p)
		out = append(out, p)
	}
	if len(out) != r.n-1 {
		return nil, fmt.Errorf("%w: %v (peers %v)", ErrBadNearest, nearest, r.peers)
	}
	return out, nil
}

// sendTo queues m to every peer in set, in peer order.
func (r *Replica) sendTo(set uint64, m paxi.Message) {
	for p := 0; p < r.n; p++ {
		if set&bit(p) != 0 && p != int(r.self) {
			r.Send(r.peers[p], m)
		}
	}
}

// others is the set of every peer but this replica.
func (r *Replica) others() uint64 {
	return (bit(r.n) - 1) &^ bit(int(r.self))
}
