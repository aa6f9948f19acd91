package mencius

import (
	"slices"

	"github.com/agora-consensus/agora/paxi"
)

// flushQueue proposes the queued commands in this replica's next own
// slots, MaxBatch and at most paxi.MessageBudget bytes to a slot (its
// Accept carries them all), skipping commands already in a proposal and
// own slots already revoked.
func (r *Replica) flushQueue() {
	// A batch is allocated at its final size: grown by append it was a
	// fifth of a replica's CPU (copying) at saturation.
	newBatch := func(left int) []paxi.Command { return make([]paxi.Command, 0, min(left, r.p.MaxBatch)) }
	batch := newBatch(len(r.queue))
	budget := paxi.NewBudget(r.p.MaxBatch)
	for i, c := range r.queue {
		if _, ok := r.assigned.Get(c.Ident()); ok {
			continue
		}
		if !budget.Take(paxi.CommandBytes(c)) {
			r.proposeOwn(slices.Clip(batch))
			batch = newBatch(len(r.queue) - i)
			budget.Reset()
			budget.Take(paxi.CommandBytes(c))
		}
		r.assigned.Add(c.Ident(), -1) // the slot is set by proposeOwn
		batch = append(batch, c)
	}
	if len(batch) > 0 {
		r.proposeOwn(batch)
	}
	clear(r.queue)
	r.queue = r.queue[:0]
}

// proposeOwn proposes cmds in the next own slot nobody revoked.
func (r *Replica) proposeOwn(cmds []paxi.Command) {
	first := r.first(r.self)
	if r.nextOwn < r.log.Base() {
		r.nextOwn = r.ownAtOrAbove(r.self, r.log.Base()) // revoked while it was away
	}
	for r.nextOwn < r.log.End() && (r.log.At(r.nextOwn).bal > first || r.log.At(r.nextOwn).committed) {
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
	if s < r.log.Base() {
		return // executed everywhere since the revocation began
	}
	e := r.log.Grow(s)
	if e.committed || e.bal > b {
		return // chosen already, or promised to a higher ballot
	}
	e.cmds, e.noop, e.has, e.vbal, e.bal = cmds, noop, true, b, b
	e.pbal, e.acks, e.sent = b, bit(r.self), r.now
	r.inflight = append(r.inflight, s)
	r.Persist(&Voted{Slot: s, Ballot: b, Cmds: cmds, Noop: noop})
	r.Broadcast(&Accept{Ballot: b, Slot: s, Cmds: cmds, Noop: noop})
	r.tryChoose(s)
}

// onAccept votes for a proposal unless a higher ballot was promised in the
// slot.
func (r *Replica) onAccept(from paxi.ID, m *Accept) {
	if r.tooFarSeen(m.Slot) || (m.Ballot.N() == 0 && r.peers[r.owner(m.Slot)] != from) {
		return // only a slot's owner proposes at its first ballot
	}
	if m.Slot < r.log.Base() {
		return // executed everywhere
	}
	r.topN = max(r.topN, m.Ballot.N())
	r.maxSeen = max(r.maxSeen, m.Slot)
	e := r.log.Grow(m.Slot)
	if e.committed {
		// A proposal of the chosen value is answered; of another value it
		// can only come from a ballot below the one that chose, and is not.
		if e.noop == m.Noop && slices.Equal(e.cmds, m.Cmds) {
			r.Send(from, &Accepted{Ballot: m.Ballot, Slot: m.Slot, Executed: r.executed})
		} else {
			// Tell the proposer what was chosen, so that it proposes its
			// commands again elsewhere.
			r.Send(from, &Chosen{Votes: []Vote{{Slot: m.Slot, Ballot: e.vbal, Cmds: e.cmds, Noop: e.noop, Committed: true}}})
		}
		return
	}
	if m.Ballot < e.bal {
		r.Send(from, &Reject{Ballot: e.bal, Slot: m.Slot})
		return
	}
	e.bal = m.Ballot
	if e.pbal != 0 && m.Ballot > e.pbal {
		r.lost(m.Slot)
	}
	if e.vbal != m.Ballot {
		e.cmds, e.noop, e.has, e.vbal = m.Cmds, m.Noop, true, m.Ballot
		r.Persist(&Voted{Slot: m.Slot, Ballot: m.Ballot, Cmds: m.Cmds, Noop: m.Noop})
	}
	r.Send(from, &Accepted{Ballot: m.Ballot, Slot: m.Slot, Executed: r.executed})
}

// onAccepted counts a vote for one of this replica's proposals.
func (r *Replica) onAccepted(p int, m *Accepted) {
	if m.Slot < r.log.Base() || m.Slot >= r.log.End() {
		return
	}
	if e := r.log.At(m.Slot); e.pbal == m.Ballot && e.pbal != 0 {
		e.acks |= bit(p)
		r.tryChoose(m.Slot)
	}
}

// tryChoose marks slot s chosen once a majority accepted this replica's
// proposal there, to be announced at the next Ready.
func (r *Replica) tryChoose(s int64) {
	e := r.log.At(s)
	if e.committed || !r.quorum(e.acks) {
		return
	}
	e.committed = true
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
	e.pbal, e.acks = 0, 0
	if r.owner(s) != r.self || e.noop {
		return
	}
	for _, c := range e.cmds {
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
		e := r.log.Grow(s)
		switch {
		case e.committed:
		case e.has && e.vbal == m.Ballot:
			e.committed = true
		default:
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
	// Persisted, if it tells anything new, so that a restart still knows
	// these slots are no-ops.
	for s := m.From; s < m.To; s += r.n {
		if s >= r.log.Base() && (s >= r.log.End() || !r.log.At(s).committed) {
			r.Persist(&Skip{From: m.From, To: m.To})
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
		if e := r.log.At(s); !e.committed {
			e.cmds, e.noop, e.has, e.committed = nil, true, true, true
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
	r.Persist(&Skip{From: from, To: to})
	r.Broadcast(&Skip{From: from, To: to})
	r.skipped(from, to)
	r.advance()
}

// onNeed answers with the chosen values it holds among the slots asked
// for; an own slot not used yet is skipped first, since someone waits on it.
func (r *Replica) onNeed(from paxi.ID, m *Need) {
	var votes []Vote
	last := int64(-1)
	budget := paxi.NewBudget(needMax)
	for i, s := range m.Slots {
		if i == needMax || r.tooFar(s) {
			break
		}
		if s <= last {
			continue // slots are asked for in order, each once
		}
		last = s
		if r.owner(s) == r.self && s >= r.nextOwn {
			r.skipBelow(s + 1)
		}
		if s >= r.log.Base() && s < r.log.End() {
			if e := r.log.At(s); e.committed {
				if !budget.Take(paxi.EntryBytes(e.cmds, 0)) {
					break
				}
				votes = append(votes, Vote{Slot: s, Ballot: e.vbal, Cmds: e.cmds, Noop: e.noop, Committed: true})
			}
		}
	}
	if len(votes) > 0 {
		r.Send(from, &Chosen{Votes: votes})
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
func (r *Replica) onChosen(from paxi.ID, m *Chosen) {
	before := r.commit
	defer func() {
		if r.commit > before && r.commit < r.log.End() {
			r.askNeed(from)
		}
	}()
	for _, v := range m.Votes {
		if !v.Committed || r.tooFar(v.Slot) || v.Slot < r.log.Base() {
			continue
		}
		e := r.log.Grow(v.Slot)
		if e.committed {
			continue
		}
		if e.pbal != 0 && (e.noop != v.Noop || !slices.Equal(e.cmds, v.Cmds)) {
			r.lost(v.Slot)
		}
		e.cmds, e.noop, e.has, e.committed = v.Cmds, v.Noop, true, true
		r.Persist(&Learned{Slot: v.Slot, Cmds: v.Cmds, Noop: v.Noop})
	}
	r.advance()
}

// advance moves the commit point over chosen slots and executes them.
func (r *Replica) advance() {
	for r.commit < r.log.End() && r.log.At(r.commit).committed {
		r.commit++
	}
	for r.executed < r.commit {
		e := r.log.At(r.executed)
		if !e.noop {
			for _, c := range e.cmds {
				r.Execute(c)
				k := c.Ident()
				r.pending.Done(k)
				r.assigned.Take(k)
			}
		}
		r.executed++
	}
}

// resendAccepts resends this replica's unchosen proposals to the replicas
// that have not accepted them for RetryTicks.
func (r *Replica) resendAccepts() {
	live := r.inflight[:0]
	for _, s := range r.inflight {
		if e := r.log.At(s); !e.committed && e.pbal != 0 {
			live = append(live, s)
		}
	}
	r.inflight = live
	for p := range r.peers {
		if p == r.self {
			continue
		}
		sent := 0
		for _, s := range r.inflight {
			e := r.log.At(s)
			if e.acks&bit(p) != 0 || r.now-e.sent < int64(r.p.RetryTicks) {
				continue
			}
			if sent == r.p.ResendLimit {
				break
			}
			r.Send(r.peers[p], &Accept{Ballot: e.pbal, Slot: s, Cmds: e.cmds, Noop: e.noop})
			r.stats.resends++
			sent++
		}
	}
	for _, s := range r.inflight {
		if e := r.log.At(s); r.now-e.sent >= int64(r.p.RetryTicks) {
			e.sent = r.now
		}
	}
}

// askNeed asks one replica (everyone for "") for the slots from the commit
// point on that it lacks, up to the highest it has seen named and at most
// a window ahead.
func (r *Replica) askNeed(to paxi.ID) {
	var slots []int64
	for s := r.commit; s <= r.seen && s < r.commit+window && len(slots) < needMax; s++ {
		if s >= r.log.End() || !r.log.At(s).committed {
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

// watchExecution asks for the slot execution waits on after RetryTicks,
// and revokes its owner's slots after RevokeTicks.
func (r *Replica) watchExecution() {
	if r.commit != r.stuckAt || (r.commit >= r.log.End() && r.commit > r.seen) {
		r.stuckAt, r.stuckFor = r.commit, 0
		return
	}
	r.stuckFor++
	if r.stuckFor%int64(r.p.RetryTicks) == 0 {
		r.stats.needs++
		r.askNeed("")
	}
	// Replicas revoke a silent owner's slots one at a time, in ring order
	// after it, so that two do not outbid each other forever: the next
	// replica after the owner waits RevokeTicks, the one after that twice
	// as long, and none while another's revocation of that owner is recent.
	q := r.owner(r.commit)
	if q == r.self {
		return
	}
	wait := int64(r.p.RevokeTicks) << r.backoff[q] * (1 + r.rank(r.self, q))
	if r.suspect[q] {
		wait = 0
	}
	if r.stuckFor < wait || r.now-r.heardRev[q] < int64(r.p.RevokeTicks)<<maxBackoff {
		return
	}
	if r.commit >= r.log.End() {
		return // beyond its log: it catches up with Need before revoking
	}
	if r.log.At(r.commit).pbal != 0 {
		// Its own proposal there (a revocation's) is under way: it is
		// chosen, or outbid (and then dropped), and revoking again would
		// only outbid it.
		return
	}
	if rv := r.revoking[q]; rv != nil && r.now-rv.started < int64(r.p.RevokeTicks)<<r.backoff[q] {
		return // no majority answered yet
	}
	r.revoke(q, r.commit)
}
