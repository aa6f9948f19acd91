package mencius

import (
	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/slotpaxos"
)

// revocation is phase 1 over a range of a suspect's slots.
type revocation struct {
	b        paxi.Ballot
	owner    int
	from, to int64
	acks     slotpaxos.Acks
	votes    []Vote  // votes[i]: the best found for slot from+i*N (Slot -1: none)
	resume   []int64 // per peer: the slot its next Promise part starts at (0: its first)
	started  int64
}

// revoke runs phase 1, at a ballot above every one seen, over RevokeSpan
// of q's slots from the first at or above from. Its own promise is
// persisted and counted like anyone's.
func (r *Replica) revoke(q int, from int64) {
	from = r.ownAtOrAbove(q, from)
	to := from + r.n*int64(r.p.RevokeSpan)
	if r.topN >= r.maxN() {
		return // see maxN
	}
	r.topN++
	b := paxi.NewBallot(r.topN, r.Self())
	rv := &revocation{b: b, owner: q, from: from, to: to, started: r.now, votes: make([]Vote, r.p.RevokeSpan), resume: make([]int64, len(r.peers))}
	for i := range rv.votes {
		rv.votes[i].Slot = -1
	}
	r.revoking[q] = rv
	r.stats.revocations++
	r.recordPromise(Promised{Ballot: b, Owner: int32(q), From: from, To: to})
	own, _ := r.promise(b, from, to, from, false)
	r.merge(rv, r.self, own, true)
	r.Broadcast(&Prepare{Ballot: b, Owner: int32(q), From: from, To: to})
}

// promise raises the promise of every slot of the range to b and lists
// what this replica holds there from start on; cut, at most
// paxi.MessageBudget bytes of it, and next is then the first slot left out
// (0: none).
func (r *Replica) promise(b paxi.Ballot, from, to, start int64, cut bool) (votes []Vote, next int64) {
	r.log.Grow(to - r.n)
	budget := paxi.NewBudget(0)
	for s := from; s < to; s += r.n {
		if s < r.log.Base() {
			continue
		}
		e := r.log.At(s)
		e.bal = max(e.bal, b)
		if e.pbal != 0 && b > e.pbal {
			r.lost(s)
		}
		if !e.Has || s < start || next != 0 {
			continue
		}
		if cut && !budget.Take(paxi.EntryBytes(e.Cmds, 0)) {
			next = s
			continue
		}
		votes = append(votes, e.Report(s))
	}
	return votes, next
}

// onPrepare promises a revocation's ballot in every slot of its range,
// persisting the promise first, unless some slot promised a higher one.
func (r *Replica) onPrepare(from paxi.ID, m *Prepare) {
	q := int(m.Owner)
	if r.checkRange(q, m.From, m.To) != nil || (m.To-m.From)/r.n > int64(r.p.RevokeSpan) || r.tooFarSeen(m.To-r.n) || m.Ballot.N() == 0 {
		return
	}
	if m.Resume != 0 && (m.Resume <= m.From || m.Resume >= m.To || (m.Resume-m.From)%r.n != 0) {
		return // not a slot of the range after its first
	}
	r.topN = max(r.topN, m.Ballot.N())
	if r.log.Forgot(m.From) {
		// Executed here and forgotten: the revoker is that far behind only
		// if it was down while this replica forgot past it. It gets the
		// snapshot; a promise would report nothing in those slots.
		r.SendSnapshot(from)
		return
	}
	if q != r.self && r.rank(paxi.IndexOf(r.peers, from), q) < r.rank(r.self, q) {
		// A replica before this one in the revocation order is on it:
		// leave q to it (it is outbid here only if that one is silent for
		// long).
		r.heardRev[q] = r.now
		r.suspect[q] = false
		r.revoking[q] = nil
	}
	for s := m.From; s < m.To && s < r.log.End(); s += r.n {
		if e := r.log.At(s); e.bal > m.Ballot {
			r.Send(from, &Reject{Ballot: e.bal, Slot: s})
			return
		}
	}
	r.recordPromise(Promised{Ballot: m.Ballot, Owner: m.Owner, From: m.From, To: m.To})
	// A later part reports votes as they are when it is sent: none can
	// have been added at a ballot below m.Ballot since the promise.
	votes, next := r.promise(m.Ballot, m.From, m.To, max(m.From, m.Resume), true)
	r.Send(from, &Promise{Ballot: m.Ballot, Owner: m.Owner, From: m.From, To: m.To, Resume: m.Resume, Votes: votes, Next: next})
}

// onPromise takes a part of a promise for a running revocation, asks for
// the next part if there is one, and counts the promise with its last.
func (r *Replica) onPromise(p int, m *Promise) {
	if m.Owner < 0 || int(m.Owner) >= len(r.revoking) {
		return
	}
	rv := r.revoking[m.Owner]
	if m.Ballot.OwnedBy(r.Self()) && (rv == nil || m.Ballot < rv.b) && m.Ballot > r.lateSeen[m.Owner] {
		// A promise for a revocation this replica already gave up on:
		// the network is slower than the wait, not down. Wait longer.
		r.lateSeen[m.Owner] = m.Ballot
		r.backoff[m.Owner] = min(r.backoff[m.Owner]+1, slotpaxos.MaxBackoff)
	}
	if rv == nil || m.Ballot != rv.b || m.From != rv.from || m.To != rv.to || rv.acks.Has(p) || m.Resume != rv.resume[p] {
		return // not this revocation's, counted already, or a part taken already
	}
	if m.Next != 0 && (m.Next <= max(m.From, m.Resume) || m.Next >= m.To || (m.Next-m.From)%r.n != 0) {
		return // a part that reports nothing would be asked for again and again
	}
	r.merge(rv, p, m.Votes, m.Next == 0)
	if m.Next != 0 {
		rv.resume[p] = m.Next
		r.Send(r.peers[p], &Prepare{Ballot: rv.b, Owner: m.Owner, From: rv.from, To: rv.to, Resume: m.Next})
		return
	}
	if p == rv.owner {
		// The owner itself answers: it is alive, and the wait was too
		// short for this network (a tick far below a round trip, say).
		// Wait twice as long for it. Hearing from a revoked owner later
		// proves nothing: it may have crashed and restarted since.
		r.backoff[p] = min(r.backoff[p]+1, slotpaxos.MaxBackoff)
	}
	if rv.acks.Count() < r.maj {
		return
	}
	for s := max(rv.from, r.ownAtOrAbove(rv.owner, r.log.Base())); s < rv.to && s < r.log.End(); s += r.n {
		if e := r.log.At(s); !e.Committed && e.bal > rv.b {
			// Since its own promise this replica promised (or voted at) a
			// higher ballot here: another revoker may have chosen a value
			// that the promises gathered for this one do not show.
			r.outbid(int(m.Owner))
			return
		}
	}
	r.revoking[m.Owner] = nil
	r.suspect[m.Owner] = true
	r.lateSeen[m.Owner] = rv.b
	if !rv.acks.Has(rv.owner) {
		r.backoff[m.Owner] = max(r.backoff[m.Owner]-1, 0) // it was needed
	}
	r.proposeRange(rv)
}

// proposeRange runs phase 2 at a finished revocation's ballot in every
// slot of its range, with the value found there or a no-op, in Accepts of
// at most paxi.MessageBudget bytes.
func (r *Replica) proposeRange(rv *revocation) {
	var props []Proposed
	budget := paxi.NewBudget(0)
	for i, v := range rv.votes {
		s := rv.from + int64(i)*r.n
		cmds, noop := v.Cmds, v.Noop
		if v.Slot < 0 {
			cmds, noop = nil, true
			r.stats.revokedNoops++
		}
		if !r.take(s, cmds, noop, rv.b) {
			continue
		}
		if !budget.Take(paxi.EntryBytes(cmds, 1)) {
			r.Broadcast(&Accepts{Ballot: rv.b, Props: props})
			props, budget = nil, paxi.NewBudget(0)
			budget.Take(paxi.EntryBytes(cmds, 1))
		}
		props = append(props, Proposed{Slot: s, Cmds: cmds, Noop: noop})
		r.tryChoose(s) // a commit is announced at the next Ready, after the Accepts
	}
	if len(props) > 0 {
		r.Broadcast(&Accepts{Ballot: rv.b, Props: props})
	}
}

// maxN is the highest ballot number this replica takes or uses.
func (r *Replica) maxN() uint32 { return slotpaxos.MaxBallotN(r.topN) }

// validBallot reports whether b is a ballot of a peer not too far above
// every number seen.
func (r *Replica) validBallot(b paxi.Ballot) bool { return r.ballots.Valid(b) && b.N() <= r.maxN() }

// rank is p's place in the order in which replicas revoke q: the replica
// after q in the ring first.
func (r *Replica) rank(p, q int) int64 { return (int64(p) - int64(q) - 1 + r.n) % r.n }

// outbid ends this replica's revocation of q, which another replica's
// higher ballot overtook: two revokers outbidding each other would stall
// execution for good, so this one waits twice as long before revoking q
// again (a wait shorter than a round trip makes that happen).
func (r *Replica) outbid(q int) {
	r.revoking[q] = nil
	r.backoff[q] = min(r.backoff[q]+1, slotpaxos.MaxBackoff)
}

// merge keeps, per slot of p's promise (or of a part of it), a chosen
// value if anyone knows one, else the vote of the highest ballot, and
// counts the promise if last is set.
func (r *Replica) merge(rv *revocation, p int, votes []Vote, last bool) {
	if last {
		rv.acks |= slotpaxos.Bit(p)
	}
	for _, v := range votes {
		if v.Slot < rv.from || v.Slot >= rv.to || r.owner(v.Slot) != rv.owner {
			continue
		}
		if best := &rv.votes[(v.Slot-rv.from)/r.n]; slotpaxos.Better(best, &v) {
			*best = v
		}
	}
}

// PeerDown (paxi.PeerWatcher) revokes q's slots as soon as execution waits
// on one, when the host saw its connection to q drop, rather than after
// two retransmission timeouts of waiting: on real processes that wait was
// most of the stall after a crash. Only the first replica in q's
// revocation order does so at once, so that two revokers do not outbid
// each other; each later one waits one retransmission timeout per replica
// before it in the order, for the case that those cannot revoke (down as
// well, or catching up after a restart and not yet executing up to q's
// slot: on real processes a kill 2 s after the first revoker's restart
// stopped every client for 0.6 s, the later revoker's two timeouts
// doubled by its rank). A wrong hint costs a revocation of a live owner,
// which stays safe, and q is no longer suspect once it is heard from.
func (r *Replica) PeerDown(id paxi.ID) {
	q := paxi.IndexOf(r.peers, id)
	if q < 0 || q == r.self {
		return
	}
	r.down[q] = true
	if r.rank(r.self, q) == 0 {
		r.suspect[q] = true
	}
}
