package epaxos

import (
	"slices"

	"github.com/agora-consensus/agora/paxi"
)

// Retransmission makes a single lost message harmless:
//
//   - A leader's PreAccept and Accept rounds run on a per-instance ticking
//     timer. In thrifty mode its first expiry sends the round to every peer
//     not yet asked (and marks the silent ones suspect, so later instances
//     pick other peers); later expiries resend to every peer that has not
//     answered. Acceptors answer a repeated message with the vote they
//     already made, so repeats are idempotent.
//   - A PreAccept phase that cannot gather the fast quorum (too many peers
//     down) goes to the slow path on a timer expiry as soon as a majority
//     answered.
//   - Commits are not acknowledged one by one. Instead every replica tells
//     its peers, every retry_ticks while something changed or is missing,
//     how far it has committed each row (Progress). A replica behind a
//     peer's report asks for what it lacks (catchup.go). What no report
//     covers, the Commits of a leader's own row beyond its own committed
//     prefix, the leader resends to a peer whose report shows it lacks
//     them, once they committed long enough ago. Resends to a silent peer
//     back off.
//
// Timers live in the instances listed in inflight, a slice in instance
// order, so they fire in the same order on every run.

// progressState is the commit-progress exchange and resend bookkeeping.
type progressState struct {
	timer   paxi.Timer // the Progress exchange, every ProgressTicks
	round   paxi.Timer // catch-up requests, every RetryTicks
	changed bool       // something committed since the last Progress
	dirty   bool       // a peer resent a Commit we had: our report is stale there
	sent    []int64    // committedUpTo as last sent
	acked   []int64    // per peer: its committed prefix of our row
	wait    []int64    // per peer: ticks between resend rounds (backs off)
	nextAt  []int64    // per peer: tick of the next resend round
}

func (ps *progressState) init(n, every, retry int) {
	ps.timer.Reset(every)
	ps.round.Reset(retry)
	ps.sent = make([]int64, n)
	ps.acked = make([]int64, n)
	ps.wait = make([]int64, n)
	ps.nextAt = make([]int64, n)
	for p := range ps.acked {
		ps.sent[p], ps.acked[p], ps.wait[p] = -1, -1, int64(retry)
	}
}

// Tick advances logical time: instance timers, then the progress exchange.
func (r *Replica) Tick() {
	r.now++
	live := r.inflight[:0]
	for _, in := range r.inflight {
		if in.lead == nil {
			continue
		}
		live = append(live, in)
		if in.lead.timer.Tick() {
			r.onLeaderTimeout(in)
		}
	}
	clear(r.inflight[len(live):])
	r.inflight = live
	r.expireCommitRequests()
	if r.progress.timer.Tick() {
		r.progress.timer.Reset(r.params.ProgressTicks)
		r.sendProgress()
		r.resendCommits() // each peer on its own schedule (nextAt)
		r.forgetInstances()
	}
	if r.progress.round.Tick() {
		r.progress.round.Reset(r.params.RetryTicks)
		r.catchUpRound()
	}
	r.recoveryTick()
}

// onLeaderTimeout handles an expired round timer of an own instance.
func (r *Replica) onLeaderTimeout(in *instance) {
	l := in.lead
	l.tries = min(l.tries+1, 255)
	l.timer.Reset(r.backoffTimeout(l.firstWait, l.tries))
	r.stats.timeouts++
	var answered uint64
	if l.phase == PreAccepted {
		answered = r.setOf(l.replied.Voters())
		if l.replied.Count() >= r.q.slow && (l.fellBack || !r.params.Thrifty) {
			// The fast quorum is out of reach; a majority is enough. The
			// silent peers are suspect, so that later rounds need not wait
			// for them (fastOutOfReach).
			r.suspect |= l.sentTo &^ answered
			r.stats.slowPaths++
			r.stats.slowByTimeout++
			r.startAccept(in, l.seq, l.deps)
			return
		}
	} else {
		answered = r.setOf(l.accepted.Voters())
	}
	missing := l.sentTo &^ answered
	r.suspect |= missing
	target := missing
	if r.params.Thrifty && !l.fellBack {
		l.fellBack = true
		target |= r.others() &^ l.sentTo
		l.sentTo = r.others()
	}
	if target == 0 {
		return
	}
	r.resendRound(in, target)
}

// setOf turns a list of peer ids into a set of peer indexes.
func (r *Replica) setOf(ids []paxi.ID) uint64 {
	var set uint64
	for _, id := range ids {
		if p := paxi.IndexOf(r.peers, id); p >= 0 {
			set |= bit(p)
		}
	}
	return set
}

// sendProgress reports the committed prefix of every row to every peer,
// when it changed, when a peer seems to have a stale copy, or while some
// known instance is not committed here (its leader may have a Commit for
// us). Otherwise it answers only the peers that asked or are behind, and
// asks the peers not heard from yet.
func (r *Replica) sendProgress() {
	ps, cu := &r.progress, &r.catchUp
	gap := false
	for q := range r.rows {
		if r.rows.known(int32(q)) > r.committedUpTo[q]+1 {
			gap = true
			break
		}
	}
	to := cu.answer | cu.ask
	cu.answer = 0
	silent := r.silentPeers()
	if silent != cu.silentSent {
		ps.changed = true // the peers forget past a silent peer only once we say it is
	}
	cu.silentSent = silent
	if !ps.changed && !ps.dirty && !gap {
		if to == 0 {
			return
		}
		up := slices.Clone(r.committedUpTo)
		for p := 0; p < r.n; p++ {
			if to&bit(p) != 0 {
				r.Send(r.peers[p], &Progress{UpTo: up, Ask: cu.ask&bit(p) != 0, Silent: silent})
				r.stats.progressSent++
			}
		}
		return
	}
	ps.changed, ps.dirty = false, false
	copy(ps.sent, r.committedUpTo)
	r.Broadcast(&Progress{UpTo: slices.Clone(r.committedUpTo), Ask: cu.ask != 0, Silent: silent})
	r.stats.progressSent += int64(r.n - 1)
}

// onProgress learns how far peer p has committed our row.
func (r *Replica) onProgress(p int, m *Progress) {
	ps := &r.progress
	r.catchUp.peerSilent[p] = m.Silent
	// No peer can have committed an own instance not started yet: a report
	// that says so is read up to the last one (bounds.go). Taken as it is,
	// math.MaxInt64 would make resendCommits start at acked+1, which wraps
	// round to the lowest int64, and loop for ever.
	if up := min(m.UpTo[r.self], r.next-1); up > ps.acked[p] {
		ps.acked[p] = up
		ps.wait[p] = int64(r.params.RetryTicks)
		ps.nextAt[p] = 0
	}
	r.learnProgress(p, m)
}

// resendCommits resends, to each peer whose turn it is, the Commits of own
// instances above its reported prefix and above the prefix of our own row
// we last reported (below that the peer asks, catchup.go) that committed
// at least two retry periods ago (younger ones may simply not be reported
// yet).
func (r *Replica) resendCommits() {
	ps := &r.progress
	retry := int64(r.params.RetryTicks)
	known := r.rows.known(r.self)
	for p := 0; p < r.n; p++ {
		if p == int(r.self) || r.now < ps.nextAt[p] {
			continue
		}
		sent := 0
		for i := max(ps.acked[p], ps.sent[r.self]) + 1; i < known && sent < r.params.ResendLimit; i++ {
			in := r.rows.get(r.self, i)
			if in == nil || in.status < Committed || r.now-in.committedAt < 2*retry {
				continue
			}
			r.sendCommit(r.peers[p], in, true)
			sent++
		}
		if sent > 0 {
			ps.nextAt[p] = r.now + ps.wait[p]
			ps.wait[p] = min(2*ps.wait[p], 32*retry)
		}
	}
}
