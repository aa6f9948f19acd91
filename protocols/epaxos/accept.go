package epaxos

import (
	"math/bits"

	"github.com/agora-consensus/agora/paxi"
)

// startAccept runs phase 2 (the slow path) with the given attributes: the
// leader votes for them itself, persists the vote, and asks a majority.
func (r *Replica) startAccept(in *instance, seq int64, deps []int64) {
	l := in.lead
	in.status, in.seq, in.deps = Accepted, seq, deps
	in.bal, in.vbal = max(in.bal, l.ballot), l.ballot
	r.index(in)
	r.persistVote(in, false)
	r.acceptRound(in)
}

// acceptRound sends the Accepts of phase 2 for the attributes in holds.
func (r *Replica) acceptRound(in *instance) {
	l := in.lead
	l.phase = Accepted
	l.accepted.Reset(r.q.slow)
	l.fellBack = false
	if r.q.slow == 0 {
		r.commit(in, in.seq, in.deps)
		return
	}
	if r.params.Thrifty && !l.recovery {
		// The peers that just answered PreAccept are alive and hold the
		// commands, so they make the cheapest majority; among them and
		// then the others, the nearest.
		l.sentTo = r.nearestPeers(r.q.slow+r.spare(), r.others()&^(l.holders&^r.suspect))
	} else {
		l.sentTo = r.others()
	}
	l.firstWait = r.roundTimeout(r.q.slow)
	l.timer.Reset(l.firstWait)
	r.sendAccept(in, l.sentTo)
	r.noteSend(in, l.sentTo, true)
}

// sendAccept sends the instance's Accept to every peer in set, with the
// commands only for peers not known to hold them.
func (r *Replica) sendAccept(in *instance, set uint64) {
	l := in.lead
	lean := &Accept{Ballot: l.ballot, Row: in.row, Inst: in.inst, Seq: in.seq, Deps: in.deps}
	var full *Accept
	for p := 0; p < r.n; p++ {
		if set&bit(p) == 0 || p == int(r.self) {
			continue
		}
		if l.holders&bit(p) != 0 {
			r.Send(r.peers[p], lean)
			continue
		}
		if full == nil {
			c := *lean
			c.HasCmds, c.Cmds, c.Noop = true, in.cmds, in.noop
			full = &c
		}
		r.Send(r.peers[p], full)
	}
	r.stats.acceptsSent += int64(bits.OnesCount64(set &^ bit(int(r.self))))
}

// onAccept is the acceptor's side of phase 2.
func (r *Replica) onAccept(from paxi.ID, p int, m *Accept) {
	in := r.acceptorInstance(from, m.Row, m.Inst)
	if in == nil {
		return
	}
	switch {
	case m.Ballot < in.bal:
		r.Send(from, &AcceptReply{Ballot: in.bal, Row: m.Row, Inst: m.Inst})
		return
	case in.status == Accepted && in.vbal == m.Ballot:
		r.Send(from, &AcceptReply{Ballot: m.Ballot, Row: m.Row, Inst: m.Inst, OK: true})
		return
	case !m.HasCmds && !in.hasCmds:
		// A vote must name the commands (recovery will need them); the
		// leader's retransmission carries them.
		r.log.Debug("ignoring Accept without commands for an unknown instance", "from", from, "row", m.Row, "inst", m.Inst)
		return
	}
	r.overtaken(in, m.Ballot)
	newCmds := m.HasCmds && (!in.hasCmds || in.noop != m.Noop)
	if newCmds {
		r.stashReplaced(in, m.Noop)
		in.hasCmds, in.cmds, in.noop = true, m.Cmds, m.Noop
	}
	in.status, in.seq, in.deps = Accepted, m.Seq, m.Deps
	in.bal, in.vbal = m.Ballot, m.Ballot
	r.index(in)
	out := new(acceptVote)
	r.persistVoteIn(&out.vote, in, newCmds)
	out.reply = AcceptReply{Ballot: m.Ballot, Row: m.Row, Inst: m.Inst, OK: true}
	r.Send(from, &out.reply)
}

// acceptVote is an acceptor's vote on an Accept and its answer, allocated
// together: one object per Accept instead of two.
type acceptVote struct {
	vote  VoteRecord
	reply AcceptReply
}

// onAcceptReply collects phase-2 answers at the leader; a majority commits.
func (r *Replica) onAcceptReply(from paxi.ID, p int, m *AcceptReply) {
	in, l := r.replyLeader(m.Row, m.Inst, m.OK, m.Ballot, Accepted)
	if l == nil || !l.accepted.Add(from) {
		return
	}
	r.onRoundAnswer(p, in)
	l.holders |= bit(p)
	if l.accepted.Reached() {
		r.commit(in, in.seq, in.deps)
	}
}
