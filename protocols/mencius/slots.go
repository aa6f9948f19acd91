package mencius

import (
	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/slotpaxos"
)

// flushQueue proposes the queued commands in this replica's next own
// slots, MaxBatch and at most paxi.MessageBudget bytes to a slot (its
// Accept carries them all), skipping commands already in a proposal and
// own slots already revoked.
func (r *Replica) flushQueue() {
	if len(r.queue) == 0 {
		return
	}
	// Own slots below a peer's commit point are chosen already. A replica
	// back from a crash proposed in them one by one, each answered with the
	// no-op chosen there, a round trip a slot (80,000 round trips in a
	// simulated run of kills and restarts); far behind, it catches up
	// first, its commands waiting in pending for their retry.
	r.nextOwn = max(r.nextOwn, r.ownAtOrAbove(r.self, r.peerCommit))
	if r.log.TooFar(r.nextOwn) {
		clear(r.queue)
		r.queue = r.queue[:0]
		return
	}
	slotpaxos.Batches(r.queue, r.p.MaxBatch, &r.assigned, -1, r.proposeOwn) // proposeOwn sets the slot
	clear(r.queue)
	r.queue = r.queue[:0]
}

// proposeOwn proposes cmds in the next own slot nobody revoked.
func (r *Replica) proposeOwn(cmds []paxi.Command) {
	first := r.first(r.self)
	if r.nextOwn < r.log.Base() {
		r.nextOwn = r.ownAtOrAbove(r.self, r.log.Base()) // revoked while it was away
	}
	for r.nextOwn < r.log.End() && (r.log.At(r.nextOwn).bal > first || r.log.At(r.nextOwn).Committed) {
		r.nextOwn += r.n
	}
	s := r.nextOwn
	r.nextOwn += r.n
	r.stats.proposed++
	for _, c := range cmds {
		r.assigned.Add(c.Ident(), s)
	}
	r.propose(s, cmds, false, first)
}

// propose runs phase 2 for slot s at ballot b; its own vote is persisted
// with the Accepts, so they go out only once it is durable.
func (r *Replica) propose(s int64, cmds []paxi.Command, noop bool, b paxi.Ballot) {
	if r.take(s, cmds, noop, b) {
		r.Broadcast(&Accept{Ballot: b, Slot: s, Cmds: cmds, Noop: noop})
		r.tryChoose(s)
	}
}

// take makes slot s this replica's proposal at ballot b, with its own vote
// (persisted), and reports whether it did: not if s is chosen already or
// promised to a higher ballot. The caller sends the Accept.
func (r *Replica) take(s int64, cmds []paxi.Command, noop bool, b paxi.Ballot) bool {
	if s < r.log.Base() {
		return false // executed everywhere since the revocation began
	}
	e := r.log.Grow(s)
	if e.Committed || e.bal > b {
		return false // chosen already, or promised to a higher ballot
	}
	e.Cmds, e.Noop, e.Has, e.VBal, e.bal = cmds, noop, true, b, b
	e.pbal, e.Proposal = b, slotpaxos.NewProposal(r.self, r.now)
	r.inflight = append(r.inflight, s)
	r.recordVote(Voted{Slot: s, Ballot: b, Cmds: cmds, Noop: noop})
	return true
}

// onAccept votes for a proposal unless a higher ballot was promised in the
// slot.
func (r *Replica) onAccept(from paxi.ID, m *Accept) {
	if r.tooFarSeen(m.Slot) || (m.Ballot.N() == 0 && r.peers[r.owner(m.Slot)] != from) {
		return // only a slot's owner proposes at its first ballot
	}
	switch res, bal := r.vote(m.Ballot, m.Slot, slotpaxos.Value{Cmds: m.Cmds, Noop: m.Noop}); res {
	case voteTaken:
		r.Send(from, &Accepted{Ballot: m.Ballot, Slot: m.Slot, Executed: r.log.Reported()})
	case voteChosenElse:
		// Tell the proposer what was chosen, so that it proposes its
		// commands again elsewhere.
		r.Send(from, &slotpaxos.Chosen{Votes: []Vote{r.log.Slot(m.Slot).Report(m.Slot)}, Commit: r.log.Commit})
	case voteRefused:
		r.Send(from, &Reject{Ballot: bal, Slot: m.Slot})
	}
}

// onAccepts votes for each proposal of a revocation's batch, as onAccept,
// and answers with one AcceptedSlots, one Chosen and the first Reject.
func (r *Replica) onAccepts(from paxi.ID, m *Accepts) {
	if m.Ballot.N() == 0 {
		return // only revocations batch their proposals
	}
	var taken []int64
	var chosen slotpaxos.Answer
	var reject *Reject
	for i := range m.Props {
		pr := &m.Props[i]
		if r.tooFarSeen(pr.Slot) {
			continue
		}
		switch res, bal := r.vote(m.Ballot, pr.Slot, slotpaxos.Value{Cmds: pr.Cmds, Noop: pr.Noop}); res {
		case voteTaken:
			taken = append(taken, pr.Slot)
		case voteChosenElse:
			chosen.Add(pr.Slot, r.log.Slot(pr.Slot)) // a full answer drops the rest: resent, they are asked again
		case voteRefused:
			if reject == nil {
				reject = &Reject{Ballot: bal, Slot: pr.Slot}
			}
		}
	}
	if len(taken) > 0 {
		r.Send(from, &AcceptedSlots{Ballot: m.Ballot, Slots: taken, Executed: r.log.Reported()})
	}
	if len(chosen.Votes) > 0 {
		r.Send(from, &slotpaxos.Chosen{Votes: chosen.Votes, Commit: r.log.Commit})
	}
	if reject != nil {
		r.Send(from, reject)
	}
}

// voteResult is what a vote on a proposal comes to.
type voteResult int

const (
	voteIgnored    voteResult = iota // executed everywhere: nothing to answer
	voteTaken                        // accepted (or the chosen value proposed again)
	voteChosenElse                   // another value is chosen there
	voteRefused                      // a higher ballot is promised there (returned)
)

// vote takes a proposal of v in slot s (not too far) at ballot b, unless a
// higher ballot was promised there, persisting the vote, and says what the
// proposer is to be answered.
func (r *Replica) vote(b paxi.Ballot, s int64, v slotpaxos.Value) (voteResult, paxi.Ballot) {
	if s < r.log.Base() {
		return voteIgnored, 0 // executed everywhere
	}
	r.topN = max(r.topN, b.N())
	if b.N() == 0 {
		// Only an owner's own proposal makes this replica skip its unused
		// slots below it. A revoker proposes no-ops in a whole range of a
		// dead owner's slots at once; skipping up to the end of that range
		// burned RevokeSpan own slots per revocation, so the range was
		// used up at once and the dead owner revoked again a round trip
		// later (10 times the slots per command, half the throughput while
		// a replica was down, in the simulator).
		r.maxSeen = max(r.maxSeen, s)
	}
	e := r.log.Grow(s)
	if e.Committed {
		// A proposal of the chosen value is answered; of another value it
		// can only come from a ballot below the one that chose, and is not.
		if e.Same(v) {
			return voteTaken, 0
		}
		return voteChosenElse, 0
	}
	if b < e.bal {
		return voteRefused, e.bal
	}
	e.bal = b
	if e.pbal != 0 && b > e.pbal {
		r.lost(s)
	}
	if e.Accept(b, v) {
		r.recordVote(Voted{Slot: s, Ballot: b, Cmds: v.Cmds, Noop: v.Noop})
	}
	return voteTaken, 0
}

// onAccepted counts a vote for one of this replica's proposals.
func (r *Replica) onAccepted(p int, b paxi.Ballot, s int64) {
	if s < r.log.Base() || s >= r.log.End() {
		return
	}
	if e := r.log.At(s); e.pbal == b && e.pbal != 0 && r.retrans.Ack(&e.Proposal, p, r.now) {
		r.tryChoose(s)
	}
}

// tryChoose marks slot s chosen once a majority accepted this replica's
// proposal there, to be announced at the next Ready.
func (r *Replica) tryChoose(s int64) {
	e := r.log.At(s)
	if e.Committed || e.Acks.Count() < r.maj {
		return
	}
	e.Committed = true
	if k := len(r.commits); k > 0 && r.commits[k-1].b == e.pbal {
		r.commits[k-1].slots = append(r.commits[k-1].slots, s)
	} else {
		r.commits = append(r.commits, commitNote{b: e.pbal, slots: []int64{s}})
	}
	r.advance()
}

// onReject learns that a proposal of this replica lost its slot: the slot
// was revoked. Its commands are proposed again in a later own slot.
func (r *Replica) onReject(m *Reject) {
	r.topN = max(r.topN, m.Ballot.N())
	if m.Slot < r.log.Base() || m.Slot >= r.log.End() {
		return
	}
	if q := r.owner(m.Slot); r.revoking[q] != nil && m.Ballot > r.revoking[q].b {
		r.outbid(q)
	}
	e := r.log.At(m.Slot)
	e.bal = max(e.bal, m.Ballot)
	if e.pbal != 0 && m.Ballot > e.pbal {
		r.lost(m.Slot)
	}
}

// lost gives up this replica's proposal in slot s (another ballot took the
// slot): its commands, if they are its clients', are proposed again.
func (r *Replica) lost(s int64) {
	e := r.log.At(s)
	e.pbal, e.Proposal = 0, slotpaxos.Proposal{}
	if r.owner(s) != r.self || e.Noop {
		return
	}
	for _, c := range e.Cmds {
		if slot, ok := r.assigned.Get(c.Ident()); ok && slot == s {
			r.assigned.Take(c.Ident())
			if r.pending.Has(c.Ident()) {
				r.queue = append(r.queue, c)
			}
		}
	}
	r.nextOwn = max(r.nextOwn, s+r.n)
}

// onCommit learns which of its votes were chosen, and asks the sender for
// the chosen values of the slots where it voted for something else.
func (r *Replica) onCommit(from paxi.ID, m *Commit) {
	var need []int64
	for _, s := range m.Slots {
		if r.tooFarSeen(s) || s < r.log.Base() {
			continue
		}
		if !r.log.Grow(s).Learn(m.Ballot) {
			need = append(need, s)
		}
	}
	r.advance()
	if len(need) > 0 {
		r.Send(from, &Need{Slots: need})
	}
}

// onSkip learns that an owner will never propose in a range of its slots.
func (r *Replica) onSkip(p int, m *Skip) {
	if r.checkRange(p, m.From, m.To) != nil || r.tooFarSeen(m.To-r.n) {
		return
	}
	// Recorded, if it tells anything new, so that a restart still knows
	// these slots are no-ops once its commit point is past them.
	for s := m.From; s < m.To; s += r.n {
		if s >= r.log.Base() && (s >= r.log.End() || !r.log.At(s).Committed) {
			r.recordSkip(m.From, m.To)
			break
		}
	}
	r.skipped(m.From, m.To)
	r.advance()
}

// skipped marks the slots from, from+N, ... below to as chosen no-ops.
func (r *Replica) skipped(from, to int64) {
	if to-r.n < r.log.Base() {
		return // all executed everywhere
	}
	r.log.Grow(to - r.n)
	for s := from; s < to; s += r.n {
		if s < r.log.Base() {
			continue
		}
		if e := r.log.At(s); !e.Committed {
			e.Cmds, e.Noop, e.Has, e.Committed = nil, true, true, true
		}
	}
}

// skipBelow gives up this replica's unused slots below x: another replica
// proposed at x, and execution must not wait for this one.
func (r *Replica) skipBelow(x int64) {
	if r.nextOwn >= x {
		return
	}
	from, to := r.nextOwn, r.ownAtOrAbove(r.self, x)
	r.nextOwn = to
	r.stats.skipped += uint64((to - from) / r.n)
	r.recordSkip(from, to)
	r.Broadcast(&Skip{From: from, To: to})
	r.skipped(from, to)
	r.advance()
}

// onNeed answers with the chosen values it holds among the slots asked
// for; an own slot not used yet is skipped first, since someone waits on it.
func (r *Replica) onNeed(from paxi.ID, m *Need) {
	var a slotpaxos.Answer
	last := int64(-1)
	for i, s := range m.Slots {
		if i == needMax || r.log.TooFar(s) {
			break
		}
		if s <= last {
			continue // slots are asked for in order, each once
		}
		last = s
		if r.log.Forgot(s) {
			r.SendSnapshot(from) // forgotten here: a snapshot has it
			continue
		}
		if r.owner(s) == r.self && s >= r.nextOwn {
			r.skipBelow(s + 1)
		}
		if s >= r.log.Base() && s < r.log.End() && !a.Add(s, r.log.Slot(s)) {
			break
		}
	}
	if len(a.Votes) > 0 {
		r.Send(from, &slotpaxos.Chosen{Votes: a.Votes, Commit: r.log.Commit})
	}
}

// needMax caps the slots one Need asks for and one Chosen answers. Most
// slots a lagging replica lacks are no-ops (skips, revoked slots), which
// cost a few bytes each; a Chosen of full batches is cut to
// paxi.MessageBudget bytes before.
const needMax = 4096

// onChosen takes chosen values, persisting them as learned, and asks the
// sender for more at once if that moved the commit point and more is
// missing (only then: a duplicated reply must not fork the chain).
func (r *Replica) onChosen(from paxi.ID, m *slotpaxos.Chosen) {
	before := r.log.Commit
	defer func() {
		// Beyond its log too: a replica far behind learns of the slots it
		// lacks from its peers' commit points, not from its own log.
		if r.log.Commit > before && (r.log.Commit < r.log.End() || r.log.Commit <= r.seen) {
			r.askNeed(from)
		}
	}()
	r.peerCommitted(m.Commit)
	for i := range m.Votes {
		v := &m.Votes[i]
		if !v.Committed || r.log.TooFar(v.Slot) || v.Slot < r.log.Base() {
			continue
		}
		e := r.log.Grow(v.Slot)
		if e.Committed {
			continue
		}
		if e.pbal != 0 && !e.Same(v.Value()) {
			r.lost(v.Slot)
		}
		e.Choose(v.Value())
		r.recordLearned(slotpaxos.Learned{Slot: v.Slot, Cmds: v.Cmds, Noop: v.Noop})
	}
	r.advance()
}

// advance moves the commit point over chosen slots and executes them.
func (r *Replica) advance() { r.log.Advance(r.exec) }

// execute executes one command of a chosen slot.
func (r *Replica) execute(c paxi.Command) {
	r.Execute(c)
	k := c.Ident()
	if r.pending.Done(k) {
		r.rec.now = true // a client waits here: see Records
	}
	r.assigned.Take(k)
}

// resendAccepts sends again this replica's unchosen proposals that waited
// longer than a quorum's round trip (slotpaxos.Retransmit), to each peer
// that has not accepted them, at most ResendLimit to one peer per tick.
func (r *Replica) resendAccepts() {
	live := r.inflight[:0]
	for _, s := range r.inflight {
		if e := r.log.At(s); !e.Committed && e.pbal != 0 {
			live = append(live, s)
		}
	}
	r.inflight = live
	var sent [64]int
	for _, s := range r.inflight {
		e := r.log.At(s)
		if !r.retrans.Due(&e.Proposal, r.now) {
			continue
		}
		for p := range r.peers {
			if p == r.self || e.Acks.Has(p) || sent[p] == r.p.ResendLimit {
				continue
			}
			r.Send(r.peers[p], &Accept{Ballot: e.pbal, Slot: s, Cmds: e.Cmds, Noop: e.Noop})
			r.stats.resends++
			sent[p]++
		}
		e.Resent(r.now)
	}
}

// askNeed asks one replica (everyone for "") for the slots from the commit
// point on that it lacks, up to the highest it has seen named and at most
// a slotpaxos.Window ahead.
func (r *Replica) askNeed(to paxi.ID) {
	var slots []int64
	for s := r.log.Commit; s <= r.seen && s < r.log.Commit+slotpaxos.Window && len(slots) < needMax; s++ {
		if s >= r.log.End() || !r.log.At(s).Committed {
			slots = append(slots, s)
		}
	}
	if len(slots) == 0 {
		return
	}
	if to == "" {
		r.Broadcast(&Need{Slots: slots})
	} else {
		r.Send(to, &Need{Slots: slots})
	}
}

// watchExecution asks for the slot execution waits on after a timeout,
// and revokes its owner's slots after RevokeTicks.
func (r *Replica) watchExecution() {
	if r.log.Commit != r.stuckAt || (r.log.Commit >= r.log.End() && r.log.Commit > r.seen) {
		r.stuckAt, r.stuckFor = r.log.Commit, 0
		return
	}
	r.stuckFor++
	// A lost skip or commit costs a retransmission timeout of the slot's
	// owner (slotpaxos.Retransmit), not the fixed retry wait (which is
	// what it waits before any round trip to the owner is known).
	// A replica just built from records (restarted, or from a peer's
	// snapshot) asks at once: the messages in flight to it before were
	// lost, the commit of the slot it waits on among them, and before a
	// timeout every peer could forget that slot, which then only a snapshot
	// brings, one that stops at a slot whose commit is in flight again (the
	// conformance scenario down_longer_than_peers_keep_their_log failed so
	// at seed 6, and at seed 1 once Records had moved its timing: four
	// snapshots installed in 3.3 s, nothing executed).
	if r.stuckFor%r.retrans.RTO(r.owner(r.log.Commit)) == 0 || r.restored {
		r.restored = false
		r.stats.needs++
		r.askNeed("")
	}
	// Replicas revoke a silent owner's slots one at a time, in ring order
	// after it, so that two do not outbid each other forever: the next
	// replica after the owner waits RevokeTicks, the one after that twice
	// as long, and none while another's revocation of that owner is recent.
	q := r.owner(r.log.Commit)
	if q == r.self {
		return
	}
	// Two retransmission timeouts of the owner's round trip (the wait for
	// its skip, or its proposal, with room to spare), at most RevokeTicks,
	// which is also the wait before any round trip to it is known: a dead
	// replica on a LAN is revoked in 200 ms, not 500.
	wait := min(2*r.retrans.RTO(q), int64(r.p.RevokeTicks)) << r.backoff[q] * (1 + r.rank(r.self, q))
	if r.down[q] {
		wait = min(wait, r.retrans.RTO(q)*r.rank(r.self, q)) // see PeerDown
	}
	if r.suspect[q] {
		wait = 0
	}
	if r.stuckFor < wait || r.now-r.heardRev[q] < int64(r.p.RevokeTicks)<<slotpaxos.MaxBackoff {
		return
	}
	if r.log.Commit >= r.log.End() {
		return // beyond its log: it catches up with Need before revoking
	}
	if r.log.At(r.log.Commit).pbal != 0 {
		// Its own proposal there (a revocation's) is under way: it is
		// chosen, or outbid (and then dropped), and revoking again would
		// only outbid it.
		return
	}
	if rv := r.revoking[q]; rv != nil && r.now-rv.started < int64(r.p.RevokeTicks)<<r.backoff[q] {
		return // no majority answered yet
	}
	if r.chosenAtPeer(q) {
		return // Need brings it
	}
	r.revoke(q, r.log.Commit)
}

// chosenAtPeer reports whether a live peer other than the owner q reported
// a commit point past the slot execution waits on: the slot is chosen
// there, and Need brings it. Without this, a replica catching up after a
// restart, first in a dead owner's revocation order, revoked from its own
// commit point on, slots chosen long before, proposing their values again
// while the others left the owner's slots to it. The owner's own report
// does not count: it may have learned a slot chosen that no one else
// knows is.
func (r *Replica) chosenAtPeer(q int) bool {
	for p := range r.peers {
		if p != r.self && p != q && !r.down[p] && r.log.PeerCommit(p) > r.log.Commit {
			return true
		}
	}
	return false
}
