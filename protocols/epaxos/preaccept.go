package epaxos

import (
	"fmt"
	"math/bits"
	"slices"

	"github.com/agora-consensus/agora/paxi"
)

// startInstance makes this replica the command leader of a new instance for
// cmds: it computes seq and deps from its own view, votes for them itself
// (persisting the vote before the PreAccepts leave) and sends PreAccept to
// the fast quorum.
func (r *Replica) startInstance(cmds []paxi.Command) {
	i := r.next
	r.next++
	deps := make([]int64, r.n)
	for q := range deps {
		deps[q] = -1
	}
	var seq int64
	states := r.conflicts.lookup(cmds)
	attributes(cmds, states, &seq, deps)
	in := r.rows.getOrCreate(r.self, i)
	if in.status != None {
		panic(fmt.Sprintf("epaxos: %s starts instance %v which already has state", r.id, in))
	}
	in.status, in.hasCmds, in.cmds = PreAccepted, true, cmds
	in.seq, in.deps = seq, deps
	in.bal, in.vbal, in.unchanged = r.ballot, r.ballot, true
	record(cmds, states, r.self, i, seq)
	in.indexed, in.indexedSeq = true, seq
	r.persistVote(in, true)
	r.stats.instances++
	r.stats.commands += int64(len(cmds))
	r.ownUnexecuted++
	r.lead(in, r.leaderCommittedDeps(deps))
}

// lead starts (or, after a restart, restarts) phase 1 of an own instance
// with the attributes it holds as the initial ones.
func (r *Replica) lead(in *instance, committed uint64) {
	l := r.newLeader(in, committed)
	if r.q.fast == 0 {
		r.decide(in)
		return
	}
	m := &PreAccept{Ballot: l.ballot, Row: in.row, Inst: in.inst, Seq: in.seq, Deps: in.deps, Cmds: in.cmds, Noop: in.noop}
	if r.params.Thrifty {
		l.sentTo = r.nearestPeers(r.q.fast+r.spare(), r.suspect)
	} else {
		l.sentTo = r.others()
	}
	l.firstWait = r.roundTimeout(r.q.fast)
	l.timer.Reset(l.firstWait)
	r.sendTo(l.sentTo, m)
	r.noteSend(in, l.sentTo, true)
	r.stats.preAcceptsSent += int64(bits.OnesCount64(l.sentTo))
}

// newLeader makes this replica the driver of in, in phase 1, with in's
// current attributes as the initial ones.
func (r *Replica) newLeader(in *instance, committed uint64) *leader {
	var l *leader
	if k := len(r.freeLeaders); k > 0 {
		l = r.freeLeaders[k-1]
		r.freeLeaders[k-1] = nil
		r.freeLeaders = r.freeLeaders[:k-1]
	} else {
		l = &leader{replied: paxi.NewVotes(0), accepted: paxi.NewVotes(0)}
	}
	// Reuse the vote trackers' arrays; everything else starts afresh.
	replied, accepted := l.replied, l.accepted
	replied.Reset(r.q.fast)
	accepted.Reset(r.q.slow)
	*l = leader{
		ballot: in.vbal, phase: PreAccepted,
		initSeq: in.seq, initDeps: in.deps, seq: in.seq, deps: in.deps,
		replied: replied, accepted: accepted, committedDeps: committed,
	}
	in.lead = l
	r.inflight = append(r.inflight, in)
	return l
}

// leaderCommittedDeps is the set of rows q whose dependency prefix
// (q, 0..deps[q]) is committed here: deps[q] stands for the whole prefix
// (conflicts.go), so (q, deps[q]) alone being committed does not make the
// dependency final. Forgotten instances are inside the committed prefix
// (forget.go).
func (r *Replica) leaderCommittedDeps(deps []int64) uint64 {
	var set uint64
	for q, d := range deps {
		if d >= 0 && d <= r.committedUpTo[q] {
			set |= bit(q)
		}
	}
	return set
}

// acceptorInstance returns the instance a leader's PreAccept or Accept is
// about, or nil when there is nothing to vote on: an instance forgotten
// here (a late copy, its leader has committed it, forget.go; or the sender
// lacks it and is sent a snapshot, snapcatchup.go), or one
// already committed, whose leader is retransmitting and is sent the Commit,
// which tells it more, and sooner, than silence would.
func (r *Replica) acceptorInstance(from paxi.ID, row int32, inst int64) *instance {
	if r.lacksForgotten(from, row, inst) {
		return nil
	}
	in := r.rows.getOrCreate(row, inst)
	if in.status >= Committed {
		r.sendCommit(from, in, true)
		return nil
	}
	return in
}

// onPreAccept is the acceptor's side of phase 1: merge the leader's
// attributes with this replica's view, vote, and answer.
func (r *Replica) onPreAccept(from paxi.ID, p int, m *PreAccept) {
	in := r.acceptorInstance(from, m.Row, m.Inst)
	if in == nil {
		return
	}
	switch {
	case m.Ballot < in.bal:
		r.Send(from, &PreAcceptReply{Ballot: in.bal, Row: m.Row, Inst: m.Inst})
		return
	case in.vbal == m.Ballot && in.status == PreAccepted:
		// A retransmission: answer with the vote already made, so the
		// leader sees the same attributes whatever was lost.
		r.sendPreAcceptReply(from, in)
		return
	case in.vbal >= m.Ballot:
		// Already accepted in this ballot: the PreAccept is stale.
		return
	}
	r.overtaken(in, m.Ballot)
	seq, deps := m.Seq, m.Deps
	states := r.conflicts.lookup(m.Cmds)
	unchanged := !wouldChange(m.Cmds, states, seq, deps)
	if !unchanged {
		deps = slices.Clone(deps)
		attributes(m.Cmds, states, &seq, deps)
	}
	r.stashReplaced(in, m.Noop)
	in.status, in.hasCmds, in.cmds, in.noop = PreAccepted, true, m.Cmds, m.Noop
	in.seq, in.deps, in.unchanged = seq, deps, unchanged
	in.bal, in.vbal = m.Ballot, m.Ballot
	record(in.cmds, states, in.row, in.inst, seq)
	in.indexed, in.indexedSeq = true, seq
	out := new(preAcceptVote)
	r.persistVoteIn(&out.vote, in, true)
	r.sendPreAcceptReplyIn(&out.reply, from, in)
}

// preAcceptVote is an acceptor's vote on a PreAccept and its answer,
// allocated together: one object per PreAccept instead of two.
type preAcceptVote struct {
	vote  VoteRecord
	reply PreAcceptReply
}

func (r *Replica) sendPreAcceptReply(to paxi.ID, in *instance) {
	r.sendPreAcceptReplyIn(new(PreAcceptReply), to, in)
}

// sendPreAcceptReplyIn answers with this replica's vote on in, written into m.
func (r *Replica) sendPreAcceptReplyIn(m *PreAcceptReply, to paxi.ID, in *instance) {
	*m = PreAcceptReply{
		Ballot: in.vbal, Row: in.row, Inst: in.inst, OK: true,
		Seq: in.seq, Deps: in.deps, Unchanged: in.unchanged,
		CommittedDeps: r.leaderCommittedDeps(in.deps),
	}
	r.Send(to, m)
}

// replyLeader returns the instance and leader state that a phase reply in
// ballot b is for, or a nil leader when the reply is late (not leading, or
// past that phase) or from another ballot. A refusal naming a higher
// ballot means another replica took the instance over: stop leading it.
func (r *Replica) replyLeader(row int32, inst int64, ok bool, b paxi.Ballot, phase Status) (*instance, *leader) {
	in := r.rows.get(row, inst)
	if in == nil || in.lead == nil {
		return nil, nil
	}
	l := in.lead
	if !ok {
		if b > l.ballot {
			r.abandon(in, b)
		}
		return nil, nil
	}
	if l.phase != phase || b != l.ballot {
		return nil, nil
	}
	return in, l
}

// onPreAcceptReply collects phase-1 answers at the leader.
func (r *Replica) onPreAcceptReply(from paxi.ID, p int, m *PreAcceptReply) {
	in, l := r.replyLeader(m.Row, m.Inst, m.OK, m.Ballot, PreAccepted)
	if l == nil || !l.replied.Add(from) {
		return
	}
	r.onRoundAnswer(p, in)
	l.holders |= bit(p)
	if m.Unchanged {
		l.matching++
		l.committedDeps |= m.CommittedDeps
	}
	if m.Seq > l.seq {
		l.seq = m.Seq
	}
	for q, d := range m.Deps {
		if d > l.deps[q] {
			if !l.depsOwn {
				l.deps, l.depsOwn = slices.Clone(l.deps), true
			}
			l.deps[q] = d
		}
	}
	if l.replied.Count() == r.q.fast || r.recoveryDecides(l) {
		r.decide(in)
		return
	}
	if r.suspect != 0 && l.replied.Count() >= r.q.slow && r.fastOutOfReach(l) {
		// Degraded operation: waiting for the round timer would only
		// end in the slow path (onLeaderTimeout) a retry period later.
		r.stats.slowPaths++
		r.stats.slowBySuspicion++
		r.startAccept(in, l.seq, l.deps)
	}
}

// fastOutOfReach reports whether the fast quorum can no longer form for
// l's round: the replies so far and every peer not suspected of being
// down that has not answered yet (asked or, in thrifty mode, still to be
// asked) are fewer than it. A majority of replies is then enough (the slow
// path is safe from any F+1 replies counting the leader's own). The
// suspicion is the thrifty deadline's (a peer silent through a round timer,
// cleared by any message from it), so this costs nothing while no peer is
// suspected.
func (r *Replica) fastOutOfReach(l *leader) bool {
	could := r.others() &^ r.setOf(l.replied.Voters()) &^ r.suspect
	return l.replied.Count()+bits.OnesCount64(could) < r.q.fast
}

// decide takes the fast/slow decision once exactly r.q.fast replies are in
// (the fast quorum with the leader). Everything it looks at is a
// commutative fold of those replies (a count of Unchanged replies, an OR of
// committed-dependency bits, a max of seqs and deps), so the decision and
// the Accept's attributes are a function of the set of replies and never of
// the order they arrived in. Replies after the decision are ignored. In
// thrifty mode exactly r.q.fast peers are asked, so the set is fixed too.
//
// Fast path: every reply pre-accepted the leader's initial attributes
// unchanged and, when the fast quorum is smaller than 2F (the optimized
// quorum for N >= 5), every dependency is known committed, by the leader
// when it proposed or by one of the replicas that answered. That last
// condition is how the reference implementation handles the corner case of
// section 4.4 of the technical report: a recovering replica that finds the
// attributes among only floor((F+1)/2) identical pre-accepts cannot tell
// how the seq of a dependency that was still being decided relates to ours;
// with every dependency committed, the attributes it reconstructs are final.
// For N = 3 the optimized and basic quorums coincide and the condition is
// not needed.
//
// Otherwise, the slow path: Accept with the union of the replies, which is
// safe from any F+1 replies counting the leader's own, as in the paper.
func (r *Replica) decide(in *instance) {
	l := in.lead
	fast := !l.recovery && l.matching == l.replied.Count()
	if fast && r.q.needCommittedDeps {
		for q, d := range l.initDeps {
			if d >= 0 && l.committedDeps&bit(q) == 0 {
				fast = false
				r.stats.fastBlockedByDeps++
				break
			}
		}
	}
	if fast {
		r.stats.fastPaths++
		r.commit(in, in.seq, in.deps)
		return
	}
	r.stats.slowPaths++
	r.startAccept(in, l.seq, l.deps)
}

// abandon stops leading an instance another replica took over with a
// higher ballot; that replica's recovery decides it now.
func (r *Replica) abandon(in *instance, b paxi.Ballot) {
	r.log.Info("instance taken over by a higher ballot", "inst", in.String(), "ballot", b)
	r.releaseLeader(in)
	r.stats.abandoned++
}

// releaseLeader ends in's leadership and keeps the state for reuse. Nothing
// else refers to it: every handler reaches it through in.lead.
func (r *Replica) releaseLeader(in *instance) {
	if in.lead == nil {
		return
	}
	r.freeLeaders = append(r.freeLeaders, in.lead)
	in.lead = nil
}
