// Package mencius is Mencius (Mao, Junqueira, Marzullo, OSDI 2008), the
// multi-leader baseline EPaxos is measured against (PROTOCOLS.md).
//
// Slot s belongs to replica s mod N. Each replica proposes the commands its
// clients give it in its own slots, in order, with phase 2 alone: it holds
// every own slot's first ballot. When it sees another replica propose in
// its own slot s, it skips its own unused slots below s (no-ops it
// announces with a Skip; no other value can be chosen there, so nobody
// needs a quorum to learn them); a revoker's no-ops in a range of a dead
// owner's slots make nobody skip, so the live replicas' own proposals use
// the range up. Every replica executes chosen slots in slot order, so the
// system runs at the pace of its slowest replica. A replica whose execution
// waits on another's slot for RevokeTicks revokes a range of that replica's
// slots: phase 1 with a higher ballot, then the value found in each slot or
// a no-op. Votes, promises and skips are persisted before the messages that
// announce them leave.
//
// Revocations are serialized per owner: the replicas after the owner in
// ring order try in turn, each waiting longer than the one before, and a
// revoker whose wait turns out too short (outbid, answered late, or
// answered by the owner itself) doubles it, so a tick far below the round
// trip still ends with progress. Hearing from a revoked owner later is not
// a false alarm: it may have crashed and restarted.
//
// The slot log, the learner's rule (a commit names its ballot), execution
// in slot order with a durable commit point, restore, catch-up answers and
// forgetting are paxi/slotpaxos's, shared with Multi-Paxos. Every replica
// forgets the slots all replicas have executed (each reports what it
// executed, after persisting its commit point, on its Accepted and Commit
// messages and, because a replica that proposes nothing sends neither to
// its idle peers, in a periodic paxi.SlotProgress to everyone, which also
// tells a replica behind in an idle cluster that there are slots to
// fetch), so memory stays bounded unless a replica is down; with snapshots
// on, even then: a replica forgets past a silent peer what the peers it
// hears from executed (slotpaxos/forget.go), and sends a peer that asks
// for a slot it forgot (a Need, a revocation's Prepare) a snapshot instead
// (paxi.CatchUpper).
//
// Unanswered proposals are resent, and a slot execution waits on is asked
// for, after a timeout that follows the measured round trips
// (slotpaxos.Retransmit: at least 100 ms, at most retry_ticks), so one lost
// message costs about a round trip, not 500 ms.
package mencius

import (
	"fmt"
	"math"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/slotpaxos"
)

// Name is the registered protocol name.
const Name = "mencius"

func init() { slotpaxos.Register(Name, New) }

// entry is one slot as this replica knows it: the shared slot state and
// its own proposal there (at pbal), and the slot's promise.
type entry struct {
	slotpaxos.Entry
	bal  paxi.Ballot // highest ballot promised here (0: the owner's first)
	pbal paxi.Ballot // ballot this replica proposed at here (0: none)
}

// Replica is one Mencius replica.
type Replica struct {
	paxi.Outbox
	p       Params
	env     paxi.Env
	peers   []paxi.ID
	n       int64
	self    int
	maj     int
	ballots paxi.Ballots

	log        slotpaxos.Log[entry]
	exec       func(paxi.Command) // execute, bound once: Advance takes it per slot
	retrans    slotpaxos.Retransmit
	nextOwn    int64 // own slots below are proposed in or skipped
	peerCommit int64 // the highest commit point a peer reported
	maxSeen    int64 // highest slot another replica proposed in
	seen       int64 // highest slot any message named, even beyond the slotpaxos.Window
	topN       uint32
	inflight   []int64 // own proposals not yet chosen

	queue    []paxi.Command
	assigned paxi.Waiting[int64] // the own slot each is proposed in, until executed
	pending  paxi.Retries        // commands proposed here, until executed here

	commits  []commitNote // to announce at the next Ready
	rec      recorder     // records to write (records.go)
	revoking []*revocation
	suspect  []bool        // revoked, and not heard from since: revoked again at once
	down     []bool        // the host saw the connection drop, and not heard from since (PeerDown)
	heardRev []int64       // tick another replica last asked to revoke each one
	backoff  []int         // false alarms: each doubles the wait before revoking it
	lateSeen []paxi.Ballot // its latest own revocation ballot that answered late
	stuckAt  int64         // the commit point when it last moved
	stuckFor int64         // ticks since
	restored bool          // built from records, and not stuck since (see watchExecution)
	now      int64

	stats stats
}

type commitNote struct {
	b     paxi.Ballot
	slots []int64
}

type stats struct {
	proposed, skipped, revocations, revokedNoops, resends, needs uint64
}

// New builds a replica, restoring what it persisted.
func New(env paxi.Env) (*Replica, error) {
	p, err := decodeParams(env)
	if err != nil {
		return nil, err
	}
	c, err := slotpaxos.NewCore(Name, env, p.ProgressTicks, p.RetryTicks, func(e *entry) *slotpaxos.Slot { return &e.Slot })
	if err != nil {
		return nil, err
	}
	r := &Replica{Outbox: c.Outbox, p: p, env: env, peers: env.Peers, n: int64(len(env.Peers)),
		self: c.Self, maj: c.Maj, ballots: c.Ballots, log: c.Log, retrans: c.Retrans}
	r.log.LazyCommit() // see Records
	r.nextOwn = int64(r.self)
	r.revoking = make([]*revocation, len(env.Peers))
	r.exec = r.execute
	r.suspect = make([]bool, len(env.Peers))
	r.down = make([]bool, len(env.Peers))
	r.heardRev = make([]int64, len(env.Peers))
	r.backoff = make([]int, len(env.Peers))
	r.lateSeen = make([]paxi.Ballot, len(env.Peers))
	for i := range r.heardRev {
		r.heardRev[i] = -1 << 40
	}
	if err := r.restore(env.Restored); err != nil {
		return nil, err
	}
	r.advance()
	return r, nil
}

// first is the ballot every slot of owner q starts at.
func (r *Replica) first(q int) paxi.Ballot { return paxi.NewBallot(0, r.peers[q]) }

// owner is the replica slot s belongs to.
func (r *Replica) owner(s int64) int { return int(s % r.n) }

// ownAtOrAbove is the first slot of q at or above s.
func (r *Replica) ownAtOrAbove(q int, s int64) int64 {
	return s + ((int64(q)-s)%r.n+r.n)%r.n
}

// restore rebuilds votes, promises, skips and the commit point.
func (r *Replica) restore(recs []paxi.Message) error {
	for _, m := range recs {
		if err := r.restoreOne(m); err != nil {
			return fmt.Errorf("%s: %w", Name, err)
		}
	}
	if err := r.log.Restored(); err != nil {
		return fmt.Errorf("%s: %w", Name, err)
	}
	// The slots it holds exist: it asks for those it waits on.
	r.seen = max(r.seen, r.log.End()-1)
	r.restored = len(recs) > 0
	// Its own proposals that were not chosen before the restart are under
	// way again: resent until chosen or outbid.
	first := r.first(r.self)
	for s := r.ownAtOrAbove(r.self, r.log.Base()); s < r.log.End(); s += r.n {
		if e := r.log.At(s); !e.Committed && e.Has && e.VBal == first && !e.Noop {
			e.pbal, e.Proposal = first, slotpaxos.NewProposal(r.self, 0)
			r.inflight = append(r.inflight, s)
			for _, c := range e.Cmds {
				r.assigned.Add(c.Ident(), s)
			}
		}
	}
	return nil
}

// restoreOne takes one record.
func (r *Replica) restoreOne(m paxi.Message) error {
	switch m := m.(type) {
	case *Promised:
		if err := r.checkRange(int(m.Owner), m.From, m.To); err != nil {
			return fmt.Errorf("promise record: %w", err)
		}
		for s := r.ownAtOrAbove(int(m.Owner), max(m.From, r.log.Base())); s < m.To; s += r.n {
			e := r.log.Grow(s) // below Base: executed everywhere before the snapshot restored from
			e.bal = max(e.bal, m.Ballot)
		}
		r.topN = max(r.topN, m.Ballot.N())
		return nil
	case *Skip:
		q := r.owner(m.From)
		if err := r.checkRange(q, m.From, m.To); err != nil {
			return fmt.Errorf("skip record: %w", err)
		}
		r.skipped(m.From, m.To)
		if q == r.self {
			r.nextOwn = max(r.nextOwn, m.To)
		}
		return nil
	case *Top:
		r.restoreTop(m)
		return nil
	case *Records:
		return r.restoreRecords(m)
	}
	if err := r.log.Restore(m); err != nil {
		return err
	}
	if v, ok := m.(*Voted); ok && v.Slot >= r.log.Base() {
		e := r.log.At(v.Slot)
		e.bal = max(e.bal, v.Ballot)
		r.topN = max(r.topN, v.Ballot.N())
		if r.owner(v.Slot) == r.self && v.Ballot == r.first(r.self) {
			r.nextOwn = max(r.nextOwn, v.Slot+r.n)
		}
	}
	return nil
}

// checkRange validates a range of q's slots.
func (r *Replica) checkRange(q int, from, to int64) error {
	switch {
	case q < 0 || q >= int(r.n):
		return fmt.Errorf("owner %d", q)
	case from < 0 || from >= to || r.owner(from) != q || r.owner(to) != q:
		return fmt.Errorf("slots [%d, %d) of replica %d", from, to, q)
	}
	return nil
}

// forget drops the slots every replica has executed (slotpaxos.Log.Forget;
// a revoker revokes only above its commit point, so none revokes them).
func (r *Replica) forget() {
	if !r.log.Forget() {
		return
	}
	live := r.inflight[:0]
	for _, s := range r.inflight {
		if s >= r.log.Base() {
			live = append(live, s)
		}
	}
	r.inflight = live
}

// tooFarSeen is slotpaxos.Log.TooFar for a slot a peer says is in use (proposed,
// committed, skipped): it remembers the highest, so that a replica further
// behind than a slotpaxos.Window knows to catch up with Need, a slotpaxos.Window at a time.
func (r *Replica) tooFarSeen(s int64) bool {
	if s >= 0 && s < math.MaxInt64/2 {
		r.seen = max(r.seen, s)
	}
	return r.log.TooFar(s)
}

// Propose queues a client command for this replica's next own slot.
func (r *Replica) Propose(req paxi.Request) {
	r.pending.Add(req.Command, r.now)
	r.queue = append(r.queue, req.Command)
}

// Step handles a peer's message.
func (r *Replica) Step(from paxi.ID, msg paxi.Message) {
	p := paxi.IndexOf(r.peers, from)
	if p < 0 || p == r.self {
		return
	}
	r.suspect[p], r.down[p] = false, false
	r.log.Heard(p)
	switch m := msg.(type) {
	case *Accepted:
		r.log.NoteExecuted(p, m.Executed)
	case *AcceptedSlots:
		r.log.NoteExecuted(p, m.Executed)
	case *Commit:
		r.log.NoteExecuted(p, m.Executed)
	case *paxi.SlotProgress:
		r.log.NoteProgress(p, m)
		r.peerCommitted(m.Commit)
	}
	switch m := msg.(type) {
	case *Accept:
		if r.validBallot(m.Ballot) && m.Ballot.OwnedBy(from) {
			r.onAccept(from, m)
		}
	case *Accepts:
		if r.validBallot(m.Ballot) && m.Ballot.OwnedBy(from) {
			r.onAccepts(from, m)
		}
	case *Accepted:
		if r.validBallot(m.Ballot) {
			r.onAccepted(p, m.Ballot, m.Slot)
		}
	case *AcceptedSlots:
		if r.validBallot(m.Ballot) {
			for _, s := range m.Slots {
				r.onAccepted(p, m.Ballot, s)
			}
		}
	case *Commit:
		if r.validBallot(m.Ballot) {
			r.onCommit(from, m)
		}
	case *Skip:
		r.onSkip(p, m)
	case *Prepare:
		if r.validBallot(m.Ballot) && m.Ballot.OwnedBy(from) {
			r.onPrepare(from, m)
		}
	case *Promise:
		if r.validBallot(m.Ballot) {
			r.onPromise(p, m)
		}
	case *Reject:
		if r.validBallot(m.Ballot) {
			r.onReject(m)
		}
	case *Need:
		r.onNeed(from, m)
	case *slotpaxos.Chosen:
		r.onChosen(from, m)
	}
}

// peerCommitted learns that a peer holds every slot below c chosen: a
// slot exists there, which watchExecution then asks for, and this
// replica's own slots below c are all chosen, as no-ops where it proposed
// nothing (revoked while it was down or cut off), so its next proposal
// goes above c (see flushQueue).
func (r *Replica) peerCommitted(c int64) {
	if c > 0 && c < math.MaxInt64/2 {
		r.tooFarSeen(c - 1)
		r.peerCommit = max(r.peerCommit, c)
	}
}

// Tick drives retries and revocation.
func (r *Replica) Tick() {
	r.now++
	r.retrans.Tick()
	r.resendAccepts()
	r.watchExecution()
	r.retryProposals()
	r.log.Progress(&r.Outbox, r.now)
}

// Ready proposes what is queued, announces skips and commits, and takes
// everything produced.
func (r *Replica) Ready() paxi.Ready {
	r.flushQueue()
	r.skipBelow(r.maxSeen)
	for _, c := range r.commits {
		r.Broadcast(&Commit{Ballot: c.b, Slots: c.slots, Executed: r.log.Reported()})
	}
	r.commits = r.commits[:0]
	r.writeRecords()
	r.forget()
	return r.Outbox.Ready()
}

// retryProposals proposes again, at most ResendLimit per tick, commands
// proposed here that have not executed for RetryTicks (their slot was
// revoked, say).
func (r *Replica) retryProposals() {
	r.pending.Due(r.now, int64(r.p.RetryTicks), r.p.ResendLimit, func(c paxi.Command) bool {
		if s, ok := r.assigned.Get(c.Ident()); ok {
			if s >= r.log.Base() {
				if e := r.log.At(s); e.pbal != 0 && (!e.Committed || e.VBal == e.pbal) {
					return false // still proposed there, or chosen there and executing soon
				}
			}
			r.assigned.Take(c.Ident()) // the proposal lost its slot
		}
		r.queue = append(r.queue, c)
		return true
	})
}

// Stats reports the protocol's counters.
func (r *Replica) Stats() []paxi.Stat {
	s := &r.stats
	return append(slotpaxos.Counters(Name, slotpaxos.C("proposed_total", "own slots proposed in", s.proposed),
		slotpaxos.C("skipped_total", "own slots skipped", s.skipped), slotpaxos.C("revocations_total", "revocations of another replica's slots started", s.revocations),
		slotpaxos.C("revoked_noops_total", "revoked slots filled with a no-op", s.revokedNoops), slotpaxos.C("resends_total", "Accepts resent", s.resends),
		slotpaxos.C("needs_total", "requests for a slot execution waits on", s.needs)), r.log.Stats(Name)...)
}
