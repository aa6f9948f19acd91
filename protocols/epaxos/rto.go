package epaxos

import (
	"math/bits"

	"github.com/agora-consensus/agora/paxi"
)

// How long a loss costs (issue 12). A lost PreAccept, Accept or Commit, or
// a lost answer, used to hold its instance for a fixed retry period, and at
// 100% conflicts every command behind it too: 77 commands/s at 2% loss on a
// LAN against 40,000 without. Three rules make a loss cost about a round
// trip instead:
//
//   - Gaps (as TCP's fast retransmit). Links are FIFO (TCP; the simulator's
//     too unless told to reorder) and a replica answers a peer's messages in
//     the order they arrive, so when peer p answers a round this leader sent
//     it after another round p has not answered, the message of that earlier
//     round or its answer was lost: it is resent to p at once. An answer that
//     is only queued behind work at p can never be overtaken by the answer to
//     a later message, however loaded p is, so this never resends work that
//     is merely late. Each round phase is resent this way at most
//     maxGapResends times (a peer that ignores a message, for instance one
//     too far behind to take it, would otherwise be sent it again at every
//     answer); the timer does the rest.
//   - Round timers follow the measured round trip (paxi.RoundTrips: Jacobson
//     and Karels, Karn's rule) instead of a fixed wait: a round waits for the
//     quorum's retransmission timeout, at least paxi.MinRTOTicks (100 ms, the
//     floor slotpaxos keeps for loaded real processes, kept here for the same
//     reason) and at most thrifty_fallback_ticks (thrifty) or retry_ticks,
//     doubling at each expiry up to retry_ticks. This covers a loss no later
//     answer reveals (the last round sent before everything waits).
//   - Spares. A thrifty round asks exactly the peers its quorum needs, so
//     any loss in it waits for a timer; at 100% conflicts every command
//     waits behind it, and nothing else is sent meanwhile that an answer
//     could reveal the loss by. So for a while after a loss was seen
//     (lossMemory), thrifty rounds ask one peer more than the quorum
//     needs: one loss then costs nothing. Without loss (TCP, no faults)
//     thrifty rounds stay exactly as small as before.
//   - Commits carry the sender's committed prefix of its own row (Prefix):
//     the Commits of those instances were sent before this one, so a replica
//     that lacks one of them lost it, and asks for it at once (catchup.go)
//     instead of at the next Progress exchange.

// lossMemory is how many retry periods after the last loss seen thrifty
// rounds keep a spare peer.
const lossMemory = 2

// spare is the number of peers a thrifty round asks beyond its quorum.
func (r *Replica) spare() int {
	if r.now-r.lossSeen < lossMemory*int64(r.params.RetryTicks) {
		return 1
	}
	return 0
}

// sawLoss notes that a message was lost (a gap, a timer expiry that
// resends, a Commit missing under a Prefix).
func (r *Replica) sawLoss() { r.lossSeen = r.now }

// maxGapResends bounds the gap-driven resends of one round phase to a peer.
const maxGapResends = 3

// maxSendLog bounds the sends remembered per peer: a peer that answers
// nothing (it is down) would otherwise make the log grow without end.
// Forgetting the oldest only leaves their loss to the timer.
const maxSendLog = 4096

// roundSend is one PreAccept or Accept sent to a peer, in send order.
type roundSend struct {
	seq   int64 // r.sendSeq of the send
	inst  int64
	row   int32
	phase Status // PreAccepted or Accepted
}

// roundTimeout is how long a round waiting for need answers waits before
// its first retransmission (or thrifty fallback).
func (r *Replica) roundTimeout(need int) int {
	limit := r.params.RetryTicks
	if r.params.Thrifty {
		limit = min(limit, r.params.ThriftyFallbackTicks)
	}
	return int(min(r.rtt.Quorum(need), int64(limit)))
}

// backoffTimeout is the wait after the tries-th expiry of a round whose
// first wait was first: doubled each time, up to retry_ticks.
func (r *Replica) backoffTimeout(first int, tries uint8) int {
	return int(min(int64(first)<<min(tries, 16), int64(r.params.RetryTicks)))
}

// noteSend records that in's current round phase was sent to the peers in
// set: first says it is the phase's first send (its answers are round-trip
// samples), otherwise a resend (they are not: Karn's rule).
func (r *Replica) noteSend(in *instance, set uint64, first bool) {
	l := in.lead
	r.sendSeq++
	if first {
		l.phaseSeq, l.sentAt, l.resent, l.gapResends, l.tries = r.sendSeq, r.now, false, 0, 0
	} else {
		l.resent = true
	}
	set &^= bit(int(r.self))
	for p := 0; set != 0; p++ {
		if set&bit(p) == 0 {
			continue
		}
		set &^= bit(p)
		s := append(r.sends[p], roundSend{seq: r.sendSeq, inst: in.inst, row: in.row, phase: l.phase})
		if len(s) > maxSendLog {
			s = s[1:]
		}
		r.sends[p] = s
	}
}

// onRoundAnswer is called for the first answer of peer p in the current
// phase of in's round: it samples the round trip, and resends to p every
// earlier round p skipped (the gap rule above).
func (r *Replica) onRoundAnswer(p int, in *instance) {
	l := in.lead
	if !l.resent {
		r.rtt.Sample(p, r.now-l.sentAt)
	}
	// A resend is logged with a later seq than phaseSeq, so the loop ends.
	for len(r.sends[p]) > 0 && r.sends[p][0].seq <= l.phaseSeq {
		e := r.sends[p][0]
		r.sends[p] = r.sends[p][1:]
		if e.seq < l.phaseSeq {
			r.resendSkipped(p, e)
		}
	}
}

// resendSkipped resends the round of e to p if that round is still in the
// phase e sent and p has not answered it.
func (r *Replica) resendSkipped(p int, e roundSend) {
	in := r.rows.get(e.row, e.inst)
	if in == nil || in.lead == nil {
		return
	}
	l := in.lead
	if l.phase != e.phase || e.seq < l.phaseSeq || l.gapResends >= maxGapResends {
		return // another round or phase of the instance since, or given up
	}
	votes := &l.accepted
	if l.phase == PreAccepted {
		votes = &l.replied
	}
	if votes.Has(r.peers[p]) {
		return
	}
	l.gapResends++
	r.stats.gapResends++
	r.sawLoss()
	r.resendRound(in, bit(p))
}

// resendRound sends in's current round phase again to the peers in set.
func (r *Replica) resendRound(in *instance, set uint64) {
	l := in.lead
	if l.phase == PreAccepted {
		m := &PreAccept{Ballot: l.ballot, Row: in.row, Inst: in.inst, Seq: l.initSeq, Deps: l.initDeps, Cmds: in.cmds, Noop: in.noop}
		r.sendTo(set, m)
		r.stats.preAcceptsSent += int64(bits.OnesCount64(set))
	} else {
		r.sendAccept(in, set)
	}
	r.stats.retransmits += int64(bits.OnesCount64(set))
	r.noteSend(in, set, false)
}

// learnPrefix reads a Commit's Prefix: p, the leader of m's row, had
// committed that row below m.Prefix when it sent m, and sent the Commits of
// those instances before (a commit it learned from a recoverer may be among
// them; asking for it costs one request). A replica missing one of them
// asks for it now.
func (r *Replica) learnPrefix(p int, m *Commit) {
	if int(m.Row) != p || m.Prefix <= 0 {
		return
	}
	up := min(m.Prefix-1, r.highestNamable(m.Row))
	cu := &r.catchUp
	if up > cu.peerUpTo[p][m.Row] {
		cu.peerUpTo[p][m.Row] = up
		cu.latest[m.Row] = max(cu.latest[m.Row], up)
	}
	if r.committedUpTo[m.Row] < up && cu.asking[m.Row].peer < 0 {
		r.sawLoss()
		r.requestCommits(m.Row, -1)
	}
}

// newRoundTrips is the replica's round-trip estimator: timeouts between
// paxi.MinRTOTicks and retry_ticks.
func newRoundTrips(self, n int, p Params) paxi.RoundTrips {
	return paxi.NewRoundTrips(self, n, paxi.MinRTOTicks, int64(p.RetryTicks))
}
