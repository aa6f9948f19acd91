package multipaxos

import (
	"fmt"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/slotpaxos"
)

// flushQueue gives the queued commands slots, MaxBatch and at most
// paxi.MessageBudget bytes to a slot (its Accept carries them all),
// skipping those already proposed at this ballot (a command forwarded
// again, say). A candidate keeps its queue until it wins.
func (r *Replica) flushQueue() {
	if !r.leading || len(r.queue) == 0 {
		return
	}
	slotpaxos.Batches(r.queue, r.p.MaxBatch, &r.assigned, struct{}{}, r.proposeNew)
	clear(r.queue)
	r.queue = r.queue[:0]
}

// proposeNew puts a batch of new commands in the next slot not known to be
// chosen. A chosen slot past the next free one can only have been chosen at
// a higher ballot (phase 1 found every value chosen below this one), and
// onChosen steps down on learning one; a batch is never put in a chosen
// slot, where it would be swapped for the chosen value and lost.
func (r *Replica) proposeNew(cmds []paxi.Command) {
	for r.next < r.log.End() && r.log.At(r.next).Committed {
		r.next++
	}
	r.propose(r.next, cmds, false)
	r.next++
}

// propose runs phase 2 for slot s at this leader's ballot: its own vote is
// persisted with the Accepts, so it goes out only once durable. A new
// leader proposes again the values phase 1 found, chosen ones too.
func (r *Replica) propose(s int64, cmds []paxi.Command, noop bool) {
	e := r.log.Grow(s)
	if e.Committed && !e.Same(slotpaxos.Value{Cmds: cmds, Noop: noop}) {
		panic(fmt.Sprintf("%s: %s at %s proposes %v (noop %v) in slot %d, chosen with %v (noop %v)", Name, r.Self(), r.bal, cmds, noop, s, e.Cmds, e.Noop))
	}
	e.Cmds, e.Noop, e.Has, e.VBal = cmds, noop, true, r.bal
	e.Proposal = slotpaxos.NewProposal(r.self, r.now)
	r.Persist(&Vote{Slot: s, Ballot: r.bal, Cmds: cmds, Noop: noop})
	r.Broadcast(&Accept{Ballot: r.bal, Slot: s, Cmds: cmds, Noop: noop, Commit: r.log.Commit})
	r.tryChoose(s)
}

// onAccept votes for a leader's value unless a higher ballot was promised.
func (r *Replica) onAccept(from paxi.ID, m *Accept) {
	if m.Slot < r.log.Base() || r.log.TooFar(m.Slot) {
		// Below base the slot is executed everywhere. Far ahead, the
		// leader's heartbeats make this replica catch up first.
		return
	}
	if !m.Ballot.OwnedBy(from) {
		return // only a ballot's owner proposes at it
	}
	if r.refuse(from, m.Ballot) {
		return
	}
	r.heardLeader()
	e := r.log.Grow(m.Slot)
	v := slotpaxos.Value{Cmds: m.Cmds, Noop: m.Noop}
	switch {
	case e.Committed:
		// A leader of a ballot above the one that chose the value proposes
		// that value again. One below it may propose anything: this
		// replica, restarted, may have forgotten that it saw the higher
		// ballot. Its vote for another value could not be chosen, and is
		// not given.
		if !e.Same(v) {
			r.stats.rejects++
			return
		}
	case e.Accept(m.Ballot, v):
		r.promised = max(r.promised, m.Ballot) // restore counts votes' ballots as promises
		r.Persist(&Vote{Slot: m.Slot, Ballot: m.Ballot, Cmds: m.Cmds, Noop: m.Noop})
	}
	r.learn(m.Ballot, m.Commit)
	r.Send(from, &Accepted{Ballot: m.Ballot, Slot: m.Slot, Executed: r.log.Executed})
}

// onAccepted counts a vote for one of this leader's slots.
func (r *Replica) onAccepted(p int, m *Accepted) {
	if !r.leading || m.Ballot != r.bal {
		return
	}
	r.log.NoteExecuted(p, m.Executed)
	if m.Slot < r.log.Base() || m.Slot >= r.log.End() {
		return
	}
	if e := r.log.At(m.Slot); !e.Committed && r.retrans.Ack(&e.Proposal, p, r.now) {
		r.tryChoose(m.Slot)
	}
}

// tryChoose marks slot s chosen once a majority accepted it at this
// leader's ballot, and moves the commit point.
func (r *Replica) tryChoose(s int64) {
	e := r.log.At(s)
	if !e.Committed && e.Acks.Count() >= r.maj {
		e.Committed = true
	}
	r.advance()
}

// advance moves the commit point over chosen slots and executes them.
func (r *Replica) advance() { r.log.Advance(r.exec) }

// execute executes one command of a chosen slot.
func (r *Replica) execute(c paxi.Command) {
	r.Execute(c)
	r.executedHere(c)
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
	if !m.Ballot.OwnedBy(from) {
		return
	}
	r.log.NoteExecutions(m.Executed) // true whatever the ballot
	if r.refuse(from, m.Ballot) {
		return
	}
	r.heardLeader()
	r.learn(m.Ballot, m.Commit)
}

// broadcastHeartbeat announces the commit point.
func (r *Replica) broadcastHeartbeat() {
	r.Broadcast(&Heartbeat{Ballot: r.bal, Commit: r.log.Commit, Executed: r.log.Executions()})
}

// learn takes the commit point of the leader of b (slotpaxos.Slot.Learn):
// a slot below it whose vote here is at b holds the chosen value. Slots
// voted at another ballot (or not at all) are asked for.
func (r *Replica) learn(b paxi.Ballot, commit int64) {
	r.heard = max(r.heard, commit)
	for s := r.log.Commit; s < commit && s < r.log.End() && r.log.Slot(s).Learn(b); s++ {
	}
	r.advance()
	if r.catchingUpNow() && r.now-r.catchingUp >= int64(r.p.RetryTicks) {
		r.askCatchUp()
	}
}

// askCatchUp asks a peer for the chosen slots this replica lacks: the
// leader first, the same peer again while its answers move the commit
// point, and on a retry without progress the next peer that reported a
// commit point past this replica's (paxi.SlotProgress), so that a follower
// cut off from the leader's answers alone still catches up.
func (r *Replica) askCatchUp() {
	p := r.asked
	if r.log.Commit == r.askedAt {
		p = -1
		for i := 1; i <= len(r.peers); i++ {
			if q := (r.asked + i + len(r.peers)) % len(r.peers); q != r.self && r.log.PeerCommit(q) > r.log.Commit {
				p = q
				break
			}
		}
	}
	if p < 0 {
		p = paxi.IndexOf(r.peers, r.leaderID)
	}
	if p == r.self {
		return
	}
	r.asked, r.askedAt, r.catchingUp = p, r.log.Commit, r.now
	r.Send(r.peers[p], &CatchUp{From: r.log.Commit})
}

// onCatchUp sends up to ResendLimit chosen slots from m.From, and at most
// paxi.MessageBudget bytes of them (slotpaxos.Answer); the replica asks
// again for the rest.
func (r *Replica) onCatchUp(from paxi.ID, m *CatchUp) {
	if r.log.Forgot(m.From) {
		r.SendSnapshot(from) // it lacks slots forgotten here: a snapshot has them
		return
	}
	if m.From >= r.log.Commit {
		return
	}
	var a slotpaxos.Answer
	for s := m.From; s < min(r.log.Commit, m.From+int64(r.p.ResendLimit)) && a.Add(s, r.log.Slot(s)); s++ {
	}
	r.Send(from, &Chosen{Votes: a.Votes, Commit: r.log.Commit})
}

// onChosen takes chosen values from a catch-up reply and asks for more if
// it is still behind.
func (r *Replica) onChosen(from paxi.ID, m *Chosen) {
	if len(m.Votes) > slotpaxos.Window {
		return
	}
	for i := range m.Votes {
		v := &m.Votes[i]
		if !v.Committed || v.Slot < r.log.Base() || r.log.TooFar(v.Slot) {
			continue
		}
		e := r.log.Grow(v.Slot)
		if e.Committed {
			continue
		}
		if r.leading && r.supersedes(v.Slot, e, v.Value()) {
			// A value chosen at a higher ballot than this leader's. Its
			// commit point, announced at its ballot, would tell a replica
			// that voted for this leader's proposal in the slot that the
			// proposal was chosen: a leader announces only slots whose
			// value its ballot proposed or learned chosen below it.
			r.stepDown()
			r.resetElection() // a campaign above the unknown ballot, unless its leader is heard
			r.stats.superseded++
		}
		// Persisted as learned, so that a restart executes it rather than
		// this replica's vote.
		e.Choose(v.Value())
		r.Persist(&Learned{Slot: v.Slot, Cmds: v.Cmds, Noop: v.Noop})
		r.stats.caughtUp++
	}
	r.heard = max(r.heard, min(m.Commit, r.log.Commit+slotpaxos.Window))
	before := r.log.Commit
	r.advance()
	// Ask for the next part at once, but only on a reply that moved the
	// commit point: a duplicated or stale reply moves nothing, and asking
	// on it too would fork one catch-up chain into two, again and again.
	if r.log.Commit > before && r.catchingUpNow() && r.asked >= 0 && from == r.peers[r.asked] {
		r.askCatchUp()
	}
}

// supersedes reports whether v, chosen in slot s, shows that a ballot above
// this leader's chose there: it lies past the slots this leader holds (phase
// 1 found every value chosen below its ballot, so those all lie below next),
// or it differs from what this leader proposed in s at its ballot (a value
// chosen below the ballot is the one it proposes, by phase 1).
func (r *Replica) supersedes(s int64, e *entry, v slotpaxos.Value) bool {
	return s >= r.next || (e.Has && e.VBal == r.bal && !e.Same(v))
}

// resendAccepts sends again the Accepts of unchosen slots that waited
// longer than a quorum's round trip (slotpaxos.Retransmit), to each peer
// that has not answered, at most ResendLimit to one peer per tick.
func (r *Replica) resendAccepts() {
	if r.log.Commit >= r.next {
		return
	}
	var sent [64]int
	for s := r.log.Commit; s < r.next; s++ {
		e := r.log.At(s)
		if e.Committed || !r.retrans.Due(&e.Proposal, r.now) {
			continue
		}
		for p := range r.peers {
			if p == r.self || e.Acks.Has(p) || sent[p] == r.p.ResendLimit {
				continue
			}
			r.Send(r.peers[p], &Accept{Ballot: r.bal, Slot: s, Cmds: e.Cmds, Noop: e.Noop, Commit: r.log.Commit})
			r.stats.resends++
			sent[p]++
		}
		e.Resent(r.now)
	}
}
