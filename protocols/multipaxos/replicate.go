package multipaxos

import (
	"slices"

	"github.com/agora-consensus/agora/paxi"
)

// flushQueue gives the queued commands slots, MaxBatch and at most
// paxi.MessageBudget bytes to a slot (its Accept carries them all),
// skipping those already proposed at this ballot (a command forwarded
// again, say). A candidate keeps its queue until it wins.
func (r *Replica) flushQueue() {
	if !r.leading || len(r.queue) == 0 {
		return
	}
	batch := make([]paxi.Command, 0, min(len(r.queue), r.p.MaxBatch))
	budget := paxi.NewBudget(r.p.MaxBatch)
	for _, c := range r.queue {
		if _, ok := r.assigned.Get(c.Ident()); ok {
			continue
		}
		if !budget.Take(paxi.CommandBytes(c)) {
			r.propose(r.next, slices.Clip(batch), false)
			r.next++
			batch = make([]paxi.Command, 0, min(len(r.queue), r.p.MaxBatch))
			budget.Reset()
			budget.Take(paxi.CommandBytes(c))
		}
		r.assigned.Add(c.Ident(), struct{}{})
		batch = append(batch, c)
	}
	if len(batch) > 0 {
		r.propose(r.next, slices.Clip(batch), false)
		r.next++
	}
	clear(r.queue)
	r.queue = r.queue[:0]
}

// propose runs phase 2 for slot s at this leader's ballot: its own vote is
// persisted with the Accepts, so it goes out only once durable.
func (r *Replica) propose(s int64, cmds []paxi.Command, noop bool) {
	e := r.log.Grow(s)
	if e.committed {
		cmds, noop = e.cmds, e.noop
	}
	e.cmds, e.noop, e.has, e.vbal = cmds, noop, true, r.bal
	e.acks, e.sent = bit(r.self), r.now
	r.Persist(&Vote{Slot: s, Ballot: r.bal, Cmds: cmds, Noop: noop})
	r.Broadcast(&Accept{Ballot: r.bal, Slot: s, Cmds: cmds, Noop: noop, Commit: r.commit})
	r.tryChoose(s)
}

// onAccept votes for a leader's value unless a higher ballot was promised.
func (r *Replica) onAccept(from paxi.ID, m *Accept) {
	if m.Slot < r.log.Base() || r.tooFar(m.Slot) {
		// Below base the slot is executed everywhere. Far ahead, the
		// leader's heartbeats make this replica catch up first.
		return
	}
	if m.Ballot.ID() != from {
		return // only a ballot's owner proposes at it
	}
	if r.refuse(from, m.Ballot) {
		return
	}
	r.heardLeader()
	e := r.log.Grow(m.Slot)
	switch {
	case e.committed:
		// A leader of a ballot above the one that chose the value proposes
		// that value again. One below it may propose anything: this
		// replica, restarted, may have forgotten that it saw the higher
		// ballot. Its vote for another value could not be chosen, and is
		// not given.
		if e.noop != m.Noop || !slices.Equal(e.cmds, m.Cmds) {
			r.stats.rejects++
			return
		}
	case e.vbal != m.Ballot:
		e.cmds, e.noop, e.has, e.vbal = m.Cmds, m.Noop, true, m.Ballot
		r.promised = max(r.promised, m.Ballot) // restore counts votes' ballots as promises
		r.Persist(&Vote{Slot: m.Slot, Ballot: m.Ballot, Cmds: m.Cmds, Noop: m.Noop})
	}
	r.learn(m.Ballot, m.Commit)
	r.Send(from, &Accepted{Ballot: m.Ballot, Slot: m.Slot, Executed: r.executed})
}

// onAccepted counts a vote for one of this leader's slots.
func (r *Replica) onAccepted(p int, m *Accepted) {
	if !r.leading || m.Ballot != r.bal {
		return
	}
	r.peerExec[p] = max(r.peerExec[p], m.Executed)
	if m.Slot < r.log.Base() || m.Slot >= r.log.End() {
		return
	}
	r.log.At(m.Slot).acks |= bit(p)
	r.tryChoose(m.Slot)
}

// tryChoose marks slot s chosen once a majority accepted it at this
// leader's ballot, and moves the commit point.
func (r *Replica) tryChoose(s int64) {
	e := r.log.At(s)
	if !e.committed && r.quorum(e.acks) {
		e.committed = true
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
				r.executedHere(c)
			}
		}
		r.executed++
	}
}

// executedHere forgets a command once executed: its forward and, at the
// leader, its slot assignment.
func (r *Replica) executedHere(c paxi.Command) {
	k := c.Ident()
	r.pending.Done(k)
	r.assigned.Take(k)
}

// refuse tells the sender of a ballot below the one this replica has seen
// that it is behind, and reports true; a higher ballot it adopts.
func (r *Replica) refuse(from paxi.ID, b paxi.Ballot) bool {
	if b < r.bal {
		r.stats.rejects++
		r.Send(from, &Reject{Ballot: r.bal})
		return true
	}
	if b > r.bal {
		r.setBallot(b)
	}
	return false
}

// onHeartbeat follows the leader of a ballot at least as high as the one
// promised, and learns its commit point.
func (r *Replica) onHeartbeat(from paxi.ID, m *Heartbeat) {
	if m.Ballot.ID() != from || r.refuse(from, m.Ballot) {
		return
	}
	r.heardLeader()
	r.learn(m.Ballot, m.Commit)
	r.forget(m.Forget)
}

// broadcastHeartbeat announces the commit point and the slots every
// replica executed, and forgets those here too.
func (r *Replica) broadcastHeartbeat() {
	r.peerExec[r.self] = r.executed
	low := r.peerExec[0]
	for _, x := range r.peerExec {
		low = min(low, x)
	}
	r.forget(low)
	r.Broadcast(&Heartbeat{Ballot: r.bal, Commit: r.commit, Forget: low})
}

// forget drops the slots below upto, which every replica has executed (a
// replica down stops it). Executed slots are never needed again: a replica
// behind asks only for slots above what it executed, a candidate only for
// slots above its commit point, and a restarted replica executes its own
// records. Only slots this replica executed itself go.
func (r *Replica) forget(upto int64) { r.log.Drop(min(upto, r.executed)) }

// learn takes the commit point of the leader of b: a slot below it whose
// vote here is at b holds the chosen value, because a leader proposes one
// value per slot per ballot. Slots voted at another ballot (or not at all)
// are asked for.
func (r *Replica) learn(b paxi.Ballot, commit int64) {
	r.heard = max(r.heard, commit)
	for s := r.commit; s < commit && s < r.log.End(); s++ {
		e := r.log.At(s)
		if !e.committed && !(e.has && e.vbal == b) {
			break
		}
		e.committed = true
	}
	r.advance()
	if r.commit < r.heard && r.now-r.catchingUp >= int64(r.p.RetryTicks) {
		r.askCatchUp()
	}
}

// askCatchUp asks the leader for the chosen slots this replica lacks.
func (r *Replica) askCatchUp() {
	if r.leaderID == r.Self() {
		return
	}
	r.catchingUp = r.now
	r.Send(r.leaderID, &CatchUp{From: r.commit})
}

// onCatchUp sends up to ResendLimit chosen slots from m.From, and at most
// paxi.MessageBudget bytes of them; the replica asks again for the rest.
func (r *Replica) onCatchUp(from paxi.ID, m *CatchUp) {
	if m.From < r.log.Base() || m.From >= r.commit {
		return
	}
	end := min(r.commit, m.From+int64(r.p.ResendLimit))
	vals := make([]Value, 0, end-m.From)
	budget := paxi.NewBudget(0)
	for s := m.From; s < end; s++ {
		e := r.log.At(s)
		if !budget.Take(paxi.EntryBytes(e.cmds, 0)) {
			break
		}
		vals = append(vals, Value{Cmds: e.cmds, Noop: e.noop})
	}
	r.Send(from, &Chosen{From: m.From, Values: vals, Commit: r.commit})
}

// onChosen takes chosen values from a catch-up reply and asks for more if
// it is still behind.
func (r *Replica) onChosen(from paxi.ID, m *Chosen) {
	if m.From < 0 || m.From > r.commit || int64(len(m.Values)) > window {
		return
	}
	for i, v := range m.Values {
		s := m.From + int64(i)
		if s < r.log.Base() {
			continue
		}
		e := r.log.Grow(s)
		if e.committed {
			continue
		}
		// The chosen value, not a vote: vbal stays what this replica
		// voted, and the value is persisted as learned so that a restart
		// executes it rather than the vote.
		e.cmds, e.noop, e.has, e.committed = v.Cmds, v.Noop, true, true
		r.Persist(&Learned{Slot: s, Cmds: v.Cmds, Noop: v.Noop})
		r.stats.caughtUp++
	}
	r.heard = max(r.heard, m.Commit)
	before := r.commit
	r.advance()
	// Ask for the next part at once, but only on a reply that moved the
	// commit point: a duplicated or stale reply moves nothing, and asking
	// on it too would fork one catch-up chain into two, again and again.
	if r.commit > before && r.commit < r.heard && from == r.leaderID {
		r.askCatchUp()
	}
}

// resendAccepts sends each peer, at most ResendLimit at a time, the
// Accepts of unchosen slots it has not answered for RetryTicks.
func (r *Replica) resendAccepts() {
	for p := range r.peers {
		if p == r.self {
			continue
		}
		sent := 0
		for s := r.commit; s < r.next && sent < r.p.ResendLimit; s++ {
			e := r.log.At(s)
			if e.committed || e.acks&bit(p) != 0 || r.now-e.sent < int64(r.p.RetryTicks) {
				continue
			}
			r.Send(r.peers[p], &Accept{Ballot: r.bal, Slot: s, Cmds: e.cmds, Noop: e.noop, Commit: r.commit})
			r.stats.resends++
			sent++
		}
	}
	for s := r.commit; s < r.next; s++ {
		if e := r.log.At(s); !e.committed && r.now-e.sent >= int64(r.p.RetryTicks) {
			e.sent = r.now
		}
	}
}
