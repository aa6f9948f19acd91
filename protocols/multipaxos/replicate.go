package multipaxos

import (
	"fmt"
	"slices"

	"github.com/agora-consensus/agora/paxi"
)

// flushQueue gives the queued commands slots, MaxBatch to a slot, skipping
// those already proposed at this ballot (a command forwarded again, say).
// A candidate keeps its queue until it wins.
func (r *Replica) flushQueue() {
	if !r.leading || len(r.queue) == 0 {
		return
	}
	batch := make([]paxi.Command, 0, min(len(r.queue), r.p.MaxBatch))
	for _, c := range r.queue {
		if r.assigned[c.Ident()] {
			continue
		}
		r.assigned[c.Ident()] = true
		batch = append(batch, c)
		if len(batch) == r.p.MaxBatch {
			r.propose(r.next, batch, false)
			r.next++
			batch = make([]paxi.Command, 0, min(len(r.queue), r.p.MaxBatch))
		}
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
	e := r.slot(s)
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
	if m.Slot < 0 || r.tooFar(m.Slot) {
		return // the leader's heartbeats make a replica this far behind catch up
	}
	if m.Ballot < r.bal {
		r.stats.rejects++
		r.Send(from, &Reject{Ballot: r.bal})
		return
	}
	if m.Ballot > r.bal {
		r.setBallot(m.Ballot)
	}
	if m.Ballot.ID() != from {
		return // only a ballot's owner proposes at it
	}
	r.heardLeader()
	e := r.slot(m.Slot)
	switch {
	case e.committed:
		// The chosen value is the only one a leader at a ballot this high
		// can propose; anything else is a broken invariant.
		if e.noop != m.Noop || !slices.Equal(e.cmds, m.Cmds) {
			panic(fmt.Sprintf("%s: %s: slot %d was chosen as %s, and the leader of %s proposes %s",
				Name, r.Self(), m.Slot, describe(e.cmds, e.noop), m.Ballot, describe(m.Cmds, m.Noop)))
		}
	case e.vbal != m.Ballot:
		e.cmds, e.noop, e.has, e.vbal = m.Cmds, m.Noop, true, m.Ballot
		r.Persist(&Vote{Slot: m.Slot, Ballot: m.Ballot, Cmds: m.Cmds, Noop: m.Noop})
	}
	r.Send(from, &Accepted{Ballot: m.Ballot, Slot: m.Slot})
	r.learn(m.Ballot, m.Commit)
}

// onAccepted counts a vote for one of this leader's slots.
func (r *Replica) onAccepted(p int, m *Accepted) {
	if !r.leading || m.Ballot != r.bal || m.Slot < 0 || m.Slot >= int64(len(r.log)) {
		return
	}
	r.log[m.Slot].acks |= bit(p)
	r.tryChoose(m.Slot)
}

// tryChoose marks slot s chosen once a majority accepted it at this
// leader's ballot, and moves the commit point.
func (r *Replica) tryChoose(s int64) {
	e := &r.log[s]
	if !e.committed && r.quorum(e.acks) {
		e.committed = true
	}
	r.advance()
}

// advance moves the commit point over chosen slots and executes them.
func (r *Replica) advance() {
	for r.commit < int64(len(r.log)) && r.log[r.commit].committed {
		r.commit++
	}
	for r.executed < r.commit {
		e := &r.log[r.executed]
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
	if i, ok := r.waiting[k]; ok {
		r.pending[i].done = true
		delete(r.waiting, k)
	}
	delete(r.assigned, k)
}

// onHeartbeat follows the leader of a ballot at least as high as the one
// promised, and learns its commit point.
func (r *Replica) onHeartbeat(from paxi.ID, m *Heartbeat) {
	if m.Ballot < r.bal {
		r.stats.rejects++
		r.Send(from, &Reject{Ballot: r.bal})
		return
	}
	if m.Ballot.ID() != from {
		return
	}
	if m.Ballot > r.bal {
		r.setBallot(m.Ballot)
	}
	r.heardLeader()
	r.learn(m.Ballot, m.Commit)
}

// learn takes the commit point of the leader of b: a slot below it whose
// vote here is at b holds the chosen value, because a leader proposes one
// value per slot per ballot. Slots voted at another ballot (or not at all)
// are asked for.
func (r *Replica) learn(b paxi.Ballot, commit int64) {
	r.heard = max(r.heard, commit)
	for s := r.commit; s < commit && s < int64(len(r.log)); s++ {
		e := &r.log[s]
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

// onCatchUp sends up to ResendLimit chosen slots from m.From.
func (r *Replica) onCatchUp(from paxi.ID, m *CatchUp) {
	if m.From < 0 || m.From >= r.commit {
		return
	}
	end := min(r.commit, m.From+int64(r.p.ResendLimit))
	vals := make([]Value, 0, end-m.From)
	for s := m.From; s < end; s++ {
		vals = append(vals, Value{Cmds: r.log[s].cmds, Noop: r.log[s].noop})
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
		e := r.slot(s)
		if e.committed {
			continue
		}
		// The chosen value, not a vote: vbal stays what this replica
		// voted, which is what its records say after a restart.
		e.cmds, e.noop, e.has, e.committed = v.Cmds, v.Noop, true, true
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
			e := &r.log[s]
			if e.committed || e.acks&bit(p) != 0 || r.now-e.sent < int64(r.p.RetryTicks) {
				continue
			}
			r.Send(r.peers[p], &Accept{Ballot: r.bal, Slot: s, Cmds: e.cmds, Noop: e.noop, Commit: r.commit})
			r.stats.resends++
			sent++
		}
	}
	for s := r.commit; s < r.next; s++ {
		if e := &r.log[s]; !e.committed && r.now-e.sent >= int64(r.p.RetryTicks) {
			e.sent = r.now
		}
	}
}

// describe names a slot's value in a panic message.
func describe(cmds []paxi.Command, noop bool) string {
	if noop {
		return "a no-op"
	}
	return fmt.Sprint(cmds)
}
