package epaxos

import "github.com/agora-consensus/agora/paxi"

// Catching up. A replica that was down or cut off, or that lost Commits,
// can be behind its peers by any number of instances, and a leader that
// resent them a few at a time per retry period would never close a gap the
// size of a few seconds of load. So a replica that is behind pulls:
//
//   - Every replica reports its committed prefix of every row in Progress
//     (retransmit.go); the receiver keeps the highest report of each peer.
//   - At each progress round, a row whose prefix here is below a prefix a
//     peer reported before the previous round (so Commits still on their
//     way are not asked for) gets a CommitRequest for the next window of
//     instances, sent to one peer that reported having them, the row's
//     leader or not: a row can be caught up while its leader is down.
//   - The peer answers with every committed instance of the window in one
//     Commits message. An answer that moves the prefix on triggers the next
//     request at once, so catching up runs at a window per round trip; an
//     unanswered request is retried with another peer after a
//     retransmission timeout (rto.go).
//   - A replica asks every peer it has not heard from since it started for
//     its Progress (Progress.Ask), and a replica answers a peer whose report
//     shows it behind, so a restarted replica learns what it missed even
//     when the cluster has gone quiet.
//
// Without faults prefixes match within a round and nothing is requested.
// The state is a few integers per peer and row, whatever the log's length.

// catchUp is the pull side of commit dissemination.
type catchUp struct {
	peerUpTo [][]int64 // per peer, per row: the highest prefix it reported
	latest   []int64   // per row: the highest prefix any peer reported
	seen     []int64   // per row: latest as of the previous progress round
	asking   []fetch   // per row: the request in flight, if any
	ask      uint64    // peers not heard from since this replica started
	answer   uint64    // peers to send our Progress to at the next round
	// peerSilent: per peer, the Silent set of its last Progress; silent,
	// ours as last sent.
	peerSilent []uint64
	silentSent uint64
}

// fetch is one CommitRequest in flight.
type fetch struct {
	peer  int   // who was asked; -1 when nothing is in flight
	until int64 // tick after which it counts as lost
}

func (cu *catchUp) init(n int, others uint64) {
	cu.peerUpTo = make([][]int64, n)
	for p := range cu.peerUpTo {
		cu.peerUpTo[p] = make([]int64, n)
		for q := range cu.peerUpTo[p] {
			cu.peerUpTo[p][q] = -1
		}
	}
	cu.latest, cu.seen = make([]int64, n), make([]int64, n)
	cu.asking = make([]fetch, n)
	for q := range cu.latest {
		cu.latest[q], cu.seen[q], cu.asking[q].peer = -1, -1, -1
	}
	cu.ask = others
	cu.peerSilent = make([]uint64, n)
}

// learnProgress records peer p's report, and whether p needs ours.
func (r *Replica) learnProgress(p int, m *Progress) {
	cu := &r.catchUp
	cu.ask &^= bit(p)
	behind, lacks := m.Ask, false
	for q, up := range m.UpTo {
		// A report past what we may hold is read as the part of it we may
		// (bounds.go). Taken as it is, math.MaxInt64 would overflow
		// peerUpTo+1 in forgetInstances and stop forgetting for good.
		up = min(up, r.highestNamable(int32(q)))
		if up > cu.peerUpTo[p][q] {
			cu.peerUpTo[p][q] = up
			cu.latest[q] = max(cu.latest[q], up)
		}
		behind = behind || up < r.committedUpTo[q]
		// It lacks an instance forgotten here (snapcatchup.go).
		lacks = lacks || cu.peerUpTo[p][q]+1 < r.rows[q].forgotten
	}
	if lacks {
		r.sendSnapshot(p)
	}
	if behind {
		cu.answer |= bit(p)
	}
}

// catchUpRound runs at every progress round: it starts a request for
// every row this replica is behind on (lost ones are retried at every tick,
// expireCommitRequests).
func (r *Replica) catchUpRound() {
	cu := &r.catchUp
	for q := range cu.asking {
		if cu.asking[q].peer < 0 && r.committedUpTo[q] < cu.seen[q] {
			r.requestCommits(int32(q), -1)
		}
	}
	copy(cu.seen, cu.latest)
}

// requestCommits asks one peer for the next window of row q's commits,
// preferring peers in r.order after skip (the peer that just failed to
// answer) and peers not suspected of being down.
func (r *Replica) requestCommits(q int32, skip int) {
	from := r.committedUpTo[q] + 1
	p := r.commitSource(q, from, skip)
	if p < 0 {
		return
	}
	// Ask for the window up to what p has, saying which of it is here
	// already: under loss a lagging replica has scattered gaps, and one
	// request per gap would repair one gap per round trip.
	to := min(from+int64(r.params.ResendLimit)-1, r.catchUp.peerUpTo[p][q])
	var have []uint64
	for i := from + 1; i <= to; i++ {
		if in := r.rows.get(q, i); in != nil && in.status >= Committed {
			if have == nil {
				have = make([]uint64, (to-from)/64+1)
			}
			have[(i-from)/64] |= 1 << uint((i-from)%64)
		}
	}
	r.catchUp.asking[q] = fetch{peer: p, until: r.now + r.rtt.RTO(p)}
	r.Send(r.peers[p], &CommitRequest{Row: q, From: from, To: to, Have: have})
	r.stats.catchUpRequests++
}

// commitSource picks a peer that reported (q, from) committed: the first in
// r.order after skip that is not suspected, else a suspected one, else skip
// itself (it may only have lost the request).
func (r *Replica) commitSource(q int32, from int64, skip int) int {
	start := 0
	for k, p := range r.order {
		if p == skip {
			start = k + 1
		}
	}
	fallback := -1
	for k := range r.order {
		p := r.order[(start+k)%len(r.order)]
		if r.catchUp.peerUpTo[p][q] < from {
			continue
		}
		if p != skip && r.suspect&bit(p) == 0 {
			return p
		}
		if fallback < 0 {
			fallback = p
		}
	}
	return fallback
}

// onCommitRequest answers with the committed instances of the range, at
// most resend_limit of them and paxi.MessageBudget bytes: the requester
// asks for the rest once the answer has moved its prefix on.
func (r *Replica) onCommitRequest(from paxi.ID, m *CommitRequest) {
	to := min(m.To, m.From+int64(r.params.ResendLimit)-1, r.rows.known(m.Row)-1)
	// Asking from below the forgotten prefix is a late copy, or the
	// requester lacks what a snapshot covers (snapcatchup.go).
	r.lacksForgotten(from, m.Row, m.From)
	var out []Commit
	budget := paxi.NewBudget(0)
	for i := m.From; i <= to; i++ {
		// A forgotten instance is committed at the requester already: the
		// request is a late copy.
		in := r.rows.get(m.Row, i)
		if in == nil || in.status < Committed || m.has(i) {
			continue
		}
		if !budget.Take(paxi.EntryBytes(in.cmds, len(in.deps))) {
			break
		}
		out = append(out, Commit{Row: in.row, Inst: in.inst, Seq: in.seq, Deps: in.deps, HasCmds: true, Cmds: in.cmds, Noop: in.noop})
	}
	if len(out) == 0 {
		return // the requester tries another peer when its request times out
	}
	r.Send(from, &Commits{Row: m.Row, Entries: out})
	r.stats.commitsResent += int64(len(out))
}

// has reports whether the requester said it has instance i.
func (m *CommitRequest) has(i int64) bool {
	k := i - m.From
	return k >= 0 && k/64 < int64(len(m.Have)) && m.Have[k/64]&(1<<uint(k%64)) != 0
}

// expireCommitRequests retries, with another peer, every request that has
// waited longer than a retransmission timeout for its peer: a lost request
// or answer costs a round trip or so, not a progress period.
func (r *Replica) expireCommitRequests() {
	for q := range r.catchUp.asking {
		f := &r.catchUp.asking[q]
		if f.peer >= 0 && r.now >= f.until {
			prev := f.peer
			f.peer = -1
			r.requestCommits(int32(q), prev)
		}
	}
}

// onCommits learns the commits a peer sent in answer to a request and, if
// they moved the prefix on and more is missing, asks for the next window.
func (r *Replica) onCommits(p int, m *Commits) {
	before := r.committedUpTo[m.Row]
	for k := range m.Entries {
		if r.learnCommit(&m.Entries[k]) {
			r.stats.catchUpCommits++
		}
	}
	f := &r.catchUp.asking[m.Row]
	if f.peer != p {
		return // a late answer to a request already retried elsewhere
	}
	f.peer = -1
	// The row's leader's own report is exact (its Commits came first on the
	// same link, rto.go); another's may count Commits still on their way.
	limit := r.catchUp.seen[m.Row]
	if int(m.Row) == p {
		limit = max(limit, r.catchUp.peerUpTo[p][m.Row])
	}
	if r.committedUpTo[m.Row] > before && r.committedUpTo[m.Row] < limit {
		r.requestCommits(m.Row, -1)
	}
}

// validCommits checks every entry of a Commits message like a Commit, and
// that it is no further past our committed prefix than a request of ours
// reaches (resend_limit instances from the prefix we had when we asked,
// requestCommits): one message then allocates for a few chunks of
// instances at most, however many entries it has (bounds.go).
func (r *Replica) validCommits(from paxi.ID, m *Commits) bool {
	if !r.validRef(from, m.Row, 0, nil) {
		return false
	}
	asked := r.committedUpTo[m.Row] + int64(r.params.ResendLimit)
	for k := range m.Entries {
		e := &m.Entries[k]
		if e.Inst > asked && !r.waitingFor(e.Row, e.Inst) {
			r.refuseAhead(from, m.Row, e.Inst)
			return false
		}
		if e.Row != m.Row || !r.validRef(from, e.Row, e.Inst, e.Deps) || !e.HasCmds || !r.validBatch(from, "Commits", true, e.Cmds, e.Noop) {
			r.log.Warn("ignoring Commits with a malformed entry", "from", from, "row", e.Row, "inst", e.Inst)
			return false
		}
	}
	return true
}
