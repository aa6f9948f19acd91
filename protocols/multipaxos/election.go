package multipaxos

import (
	"fmt"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/slotpaxos"
)

// campaign is phase 1 in progress: the promises gathered for r.bal and the
// best value seen for every slot from its commit point on.
type campaign struct {
	from   int64
	acks   slotpaxos.Acks
	slots  []Vote  // slots[i] is the best vote for slot from+i (Slot -1: none)
	resume []int64 // per peer: the slot its next Promise part starts at (0: its first)
}

// campaign starts phase 1 with a ballot above every one seen. Its own
// promise is persisted, and counted, like anyone's.
func (r *Replica) campaign() {
	r.resetElection()
	r.setBallot(r.bal.Next(r.Self()))
	r.stats.campaigns++
	r.promised = r.bal
	r.Persist(&Promised{Ballot: r.bal})
	c := &campaign{from: r.log.Commit, resume: make([]int64, len(r.peers))}
	r.camp = c
	own, _ := r.votesFrom(c.from, false)
	if !r.merge(c, r.self, own, true) {
		panic(fmt.Sprintf("%s: %s refused its own votes", Name, r.Self()))
	}
	r.Broadcast(&Prepare{Ballot: r.bal, From: c.from})
	// Commands proposed here while nobody led go in the first slots.
	r.pending.All(r.now, func(c paxi.Command) { r.queue = append(r.queue, c) })
}

// votesFrom lists what this replica holds in slots from and above; cut,
// at most paxi.MessageBudget bytes of it, and next is then the first slot
// left out (0: none).
func (r *Replica) votesFrom(from int64, cut bool) (out []Vote, next int64) {
	budget := paxi.NewBudget(0)
	for s := max(from, r.log.Base()); s < r.log.End(); s++ {
		if e := r.log.Slot(s); e.Has {
			if cut && !budget.Take(paxi.EntryBytes(e.Cmds, 0)) {
				return out, s
			}
			out = append(out, e.Report(s))
		}
	}
	return out, 0
}

// onPrepare promises a ballot at least as high as any seen, persisting the
// promise first, or tells the candidate it is behind. The promise is
// persisted whenever it is above the last one persisted, not only when it
// is above the ballot seen: a Reject or a heartbeat may have raised that
// without a record (a Reject naming b, say, reaching b's owner's rival
// before b's own Prepare does).
func (r *Replica) onPrepare(from paxi.ID, m *Prepare) {
	if !m.Ballot.OwnedBy(from) {
		return
	}
	if r.log.Forgot(m.From) {
		// The candidate lacks slots this replica forgot (below a snapshot,
		// while it was down): a promise would report nothing there, and
		// it would fill them with no-ops. It gets the snapshot instead,
		// and its ballot is not adopted: it cannot lead yet.
		r.SendSnapshot(from)
		return
	}
	if r.refuse(from, m.Ballot) {
		return
	}
	if m.Ballot > r.promised {
		r.promised = m.Ballot
		r.Persist(&Promised{Ballot: m.Ballot})
	}
	r.resetElection()
	// A later part reports votes as they are when it is sent: none can
	// have been added at a ballot below m.Ballot since the promise.
	votes, next := r.votesFrom(max(m.From, m.Resume), true)
	r.Send(from, &Promise{Ballot: m.Ballot, From: m.From, Resume: m.Resume, Votes: votes, Next: next})
}

// onPromise takes a part of a promise for the running campaign, asks for
// the next part if there is one, and counts the promise with its last.
func (r *Replica) onPromise(p int, m *Promise) {
	c := r.camp
	if c == nil || m.Ballot != r.bal || m.From != c.from || c.acks.Has(p) || m.Resume != c.resume[p] {
		return // not this campaign's, counted already, or a part taken already
	}
	if m.Next != 0 && m.Next <= max(m.From, m.Resume) {
		return // a part that reports nothing would be asked for again and again
	}
	if !r.merge(c, p, m.Votes, m.Next == 0) {
		// The promiser holds votes further ahead than this replica can
		// take: it is too far behind to lead. It learns the chosen slots
		// and runs again at its next election timeout.
		r.camp = nil
		r.Send(r.peers[p], &CatchUp{From: r.log.Commit})
		return
	}
	if m.Next != 0 {
		c.resume[p] = m.Next
		r.Send(r.peers[p], &Prepare{Ballot: r.bal, From: c.from, Resume: m.Next})
		return
	}
	if c.acks.Count() >= r.maj {
		r.lead()
	}
}

// merge keeps, per slot of p's promise (or of a part of it), a chosen
// value if anyone knows one, else the vote of the highest ballot, and
// counts the promise if last is set. It reports false, having taken
// nothing, if a vote lies more than a slotpaxos.Window past both the campaign's
// first slot and this replica's own log: ignoring the vote would be
// unsafe, and holding it would let one message allocate without bound.
func (r *Replica) merge(c *campaign, p int, votes []Vote, last bool) bool {
	limit := max(c.from, r.log.End()) + slotpaxos.Window
	for _, v := range votes {
		if v.Slot >= limit {
			return false
		}
	}
	if last {
		c.acks |= slotpaxos.Bit(p)
	}
	for _, v := range votes {
		if v.Slot < c.from {
			continue
		}
		i := v.Slot - c.from
		for int64(len(c.slots)) <= i {
			c.slots = append(c.slots, Vote{Slot: -1})
		}
		if best := &c.slots[i]; slotpaxos.Better(best, &v) {
			*best = v
		}
	}
	return true
}

// lead ends a won campaign: every slot it learned about is proposed again
// at the new ballot, with the value phase 1 found or a no-op, before any
// new command.
func (r *Replica) lead() {
	c := r.camp
	r.camp, r.leading = nil, true
	r.backoff = 0
	r.stats.elected++
	r.next = c.from
	for _, v := range c.slots {
		switch {
		case r.next < r.log.Base():
			// Chosen, executed everywhere and forgotten since the campaign
			// began (this replica caught up meanwhile): nothing to propose.
		case r.next < r.log.End() && r.log.At(r.next).Committed:
			// Chosen, and learned here while the campaign ran; a promiser
			// that forgot it since (everyone executed it) reported nothing
			// there. The chosen value, not a no-op.
			e := r.log.At(r.next)
			r.propose(r.next, e.Cmds, e.Noop)
		case v.Slot < 0:
			r.stats.noops++
			r.propose(r.next, nil, true)
		default:
			r.propose(r.next, v.Cmds, v.Noop)
		}
		r.next++
	}
	r.next = max(r.next, r.log.Base())
	for s := r.next; s < r.log.End(); s++ {
		// Slots past what the majority reported can only hold votes this
		// replica got after its own promise (it promised nothing newer),
		// and those belong to a ballot below this one: drop them.
		if e := r.log.At(s); !e.Committed {
			*e = entry{}
		}
	}
	r.announced = -1
	r.heartbeat.Reset(r.p.HeartbeatTicks)
}

// onReject learns a higher ballot: this replica no longer leads or runs.
func (r *Replica) onReject(m *Reject) {
	if m.Ballot > r.bal {
		r.setBallot(m.Ballot)
		r.resetElection()
	}
}

// PeerDown (paxi.PeerWatcher) runs for leader at once when the host saw
// its connection to the leader drop, rather than after an election
// timeout of 300-600 ms (with real processes, most of the stall after the
// leader's SIGKILL). The replica next after the leader in ring order runs,
// so that the first candidate wins without a duel, unless it is catching
// up (it keeps its usual timeout then): a candidate proposes again every
// slot above its own commit point, so one restarted a moment ago would
// hold the cluster up while it did. The others wait one turn per replica
// before them in that order, so that one runs soon when the first does
// not: a quorum's retransmission timeout from the round trips measured
// when this replica led, at most an election timeout (the turn before any
// is measured). A Prepare from an earlier one restarts their usual
// timeout. A wrong hint costs a leader change, which stays safe.
func (r *Replica) PeerDown(id paxi.ID) {
	l := paxi.IndexOf(r.peers, id)
	if l < 0 || id != r.leaderID || r.leading || r.camp != nil {
		return
	}
	rank := (r.self - l - 1 + len(r.peers)) % len(r.peers)
	if rank == 0 {
		if !r.catchingUpNow() {
			r.campaign()
		}
		return
	}
	turn := min(int(r.retrans.Quorum(r.maj-1)), r.p.ElectionTicks)
	if t := rank * turn; t < r.election.Left() {
		r.election.Reset(t)
	}
}

// catchingUpNow reports whether this replica knows of chosen slots it has
// not learned yet.
func (r *Replica) catchingUpNow() bool { return r.log.Commit < r.heard }
