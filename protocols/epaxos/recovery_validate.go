package epaxos

import "github.com/agora-consensus/agora/paxi"

// Validation: recovery of an instance whose Prepare answers cannot tell
// whether it committed on the fast path (case 4 of recovery.go: with the
// optimized fast quorum, N >= 5, fewer than F but enough initial votes for
// a fast quorum to have formed among the replicas that did not answer).
//
// It follows the validation phase and the wait of EPaxos* (Ryabinin,
// Gotsman, Sutra, "Making Democracy Work: Fixing and Simplifying
// Egalitarian Paxos", OPODIS 2025, arXiv 2511.02743: the recovery of its
// figure 3, messages Validate/ValidateOK and Waiting, and the liveness
// argument for it), adapted to our prefix dependencies, our seq and our
// explicit prepare; docs/RECOVERY.md states the rule, why it is safe, and
// every departure.
//
// With answers from a majority Q and the leader R of (R, i) not among
// them, the recoverer of instance γ = (R, i), whose initial attributes
// (from R's initial-ballot unchanged votes) are (seq0, deps0), sends
// Validate(b, γ, cmds, seq0, deps0) to every peer. A replica that promised
// b (or promises it now):
//
//   - records the command if it has no vote on γ (a pre-accept at the zero
//     ballot, which is no evidence and no Paxos vote, persisted before the
//     answer), so that every interfering command it pre-accepts from now on
//     depends on γ;
//   - reports every instance δ it has a vote on, not in deps0 (above
//     deps0[row(δ)]), that interferes with γ (or whose commands it does not
//     know) and is not known to depend on γ: committed ones only when they
//     do not depend on γ (they refute a fast commit), uncommitted ones with
//     a flag when its vote on δ is at δ's initial ballot and does not depend
//     on γ (so δ's initial attributes do not either).
//
// With answers from a majority:
//
//	a. some reported δ is committed, interferes, is no no-op and does not
//	   depend on γ: had γ committed fast with deps0 (which lacks δ), the
//	   two would break visibility, so γ did not; run phase 1 afresh (case 2).
//	b. (EPaxos*'s "coordinator not in the quorum" case) the initial votes
//	   are the fewest that leave a fast commit possible, and some flagged δ
//	   is led by a replica that did not answer the Prepare: had γ committed
//	   fast, its fast quorum would hold every replica outside Q, δ's leader
//	   too; that leader pre-accepted γ unchanged, so it either knew δ then
//	   (and γ's deps0 would hold δ) or started δ after (and δ's initial
//	   deps would hold γ): neither is so, so γ did not commit fast; phase 1.
//	c. otherwise wait until every reported δ is committed here; then a.
//	   applies to one of them, or none of them breaks visibility with deps0
//	   and Accept the initial attributes: every interfering δ committed
//	   without depending on γ was decided by a quorum that meets Q, at a
//	   replica that either held γ before voting on δ (so δ depends on γ) or
//	   had voted on δ before it validated, and reported it.
//
// A report that cannot be complete (a forgotten instance above deps0 that
// may interfere, or a replica holding γ only as a no-op or without its
// commands) blocks c.: the round ends, and the instance's timer starts
// another later, with backoff.

// Validate asks a replica to hold the commands of (Row, Inst) and to report
// the interfering instances it knows beyond Deps.
type Validate struct {
	Ballot paxi.Ballot
	Row    int32
	Inst   int64
	Seq    int64
	Deps   []int64
	Cmds   []paxi.Command
}

// ValidateReply answers a Validate: the instances that may break
// visibility with the instance at the Validate's attributes.
type ValidateReply struct {
	// Ballot is the Validate's ballot when OK, else the higher ballot the
	// replier has promised.
	Ballot paxi.Ballot
	Row    int32
	Inst   int64
	OK     bool
	// Incomplete: the replier cannot report everything (see above).
	Incomplete bool
	// Refuted: a forgotten instance refutes a fast commit (case a).
	Refuted bool
	Rows    []int32
	Insts   []int64
	Flags   []uint8 // per reported instance, validate* flags
}

const (
	// validateRefutes: committed, interfering, no no-op, not depending on
	// the instance (case a).
	validateRefutes uint8 = 1 << iota
	// validateNotInitial: uncommitted, interfering, and the replier's vote
	// is at the instance's initial ballot without depending on the
	// validated one (case b).
	validateNotInitial
)

func init() {
	paxi.RegisterMessage("epaxos.Validate", &Validate{})
	paxi.RegisterMessage("epaxos.ValidateReply", &ValidateReply{})
}

// validation is a Prepare round's validation phase at the recoverer.
type validation struct {
	initial *PrepareReply // the initial vote whose attributes are validated
	// fewest: the Prepare's initial votes were the fewest that leave a fast
	// commit possible; answered: the peers that answered the Prepare (both
	// when validation began), for case b.
	fewest   bool
	answered uint64
	replies  []*ValidateReply // per peer index, this replica's own included
	count    int
	// Once a majority answered: waitFor the reported instances (case c),
	// or blocked when some report was incomplete.
	collected bool
	blocked   bool
	waitFor   []instKey
	// waitSince is the tick the wait began, askedAt the tick this replica
	// last asked the answerers for the commit it waits for (waitForCommit).
	waitSince, askedAt int64
}

// waitLimit is how many retry periods a validation waits for the commits
// it needs before the round ends; the instance's recovery timer starts
// another later, with backoff, which asks again.
const waitLimit = 4

// batchesInterfere reports whether an instance of cmds a and one of cmds b
// interfere exactly as the conflict index makes them (conflicts.go): a key
// both touch and one writes, or a client both come from. It is exact both
// ways: reports use it to leave out instances that need no wait, decisions
// to conclude that a dependency must exist.
func batchesInterfere(a, b []paxi.Command) bool {
	for i := range a {
		x := &a[i]
		if x.Op == paxi.Noop {
			continue
		}
		for j := range b {
			y := &b[j]
			if y.Op == paxi.Noop {
				continue
			}
			if x.Key == y.Key && (x.Op.IsWrite() || y.Op.IsWrite()) || x.ClientID != 0 && x.ClientID == y.ClientID {
				return true
			}
		}
	}
	return false
}

// startValidation begins the validation phase of round pr, with the
// attributes of the initial vote m; fewest and the answerers are as
// chooseRecovery saw them.
func (r *Replica) startValidation(pr *prepare, in *instance, m *PrepareReply, fewest bool) {
	v := &validation{initial: m, fewest: fewest, replies: make([]*ValidateReply, r.n)}
	for p, x := range pr.replies {
		if x != nil {
			v.answered |= bit(p)
		}
	}
	pr.val = v
	r.rec.stats.Validations++
	v.replies[r.self] = r.validateHere(in, m.Seq, m.Deps, m.Cmds)
	v.count = 1
	r.sendValidate(pr, true)
	r.validationProgress(pr, in)
}

// sendValidate sends the round's Validate to every peer that has not
// answered it (to all when first).
func (r *Replica) sendValidate(pr *prepare, first bool) {
	v := pr.val
	m := &Validate{Ballot: pr.ballot, Row: pr.key.row, Inst: pr.key.inst, Seq: v.initial.Seq, Deps: v.initial.Deps, Cmds: v.initial.Cmds}
	for p := 0; p < r.n; p++ {
		if p != int(r.self) && (first || v.replies[p] == nil) {
			r.Send(r.peers[p], m)
		}
	}
}

// onValidate is a replica's side of a Validate.
func (r *Replica) onValidate(from paxi.ID, m *Validate) {
	in := r.acceptorInstance(from, m.Row, m.Inst)
	if in == nil {
		return
	}
	if m.Ballot < in.bal {
		r.Send(from, &ValidateReply{Ballot: in.bal, Row: m.Row, Inst: m.Inst})
		return
	}
	if m.Ballot > in.bal {
		r.promise(in, m.Ballot)
		r.rec.stats.PromisesMade++
		r.dropPrepares(instKey{m.Row, m.Inst}, m.Ballot)
	}
	rep := r.validateHere(in, m.Seq, m.Deps, m.Cmds)
	rep.Ballot = m.Ballot
	r.Send(from, rep)
}

// validateHere records the commands of in (attributes seq, deps) if this
// replica has no vote on it, and reports what may break visibility with
// them (see the file comment).
func (r *Replica) validateHere(in *instance, seq int64, deps []int64, cmds []paxi.Command) *ValidateReply {
	rep := &ValidateReply{Ballot: in.bal, Row: in.row, Inst: in.inst, OK: true}
	switch {
	case in.status == None:
		// Held at the zero ballot: below every ballot anyone proposes at,
		// so it is no vote any PreAccept or Accept could be taken for, and
		// unchanged is false, so it is no evidence of a fast commit.
		in.status, in.hasCmds, in.cmds, in.noop = PreAccepted, true, cmds, false
		in.seq, in.deps, in.unchanged, in.vbal = seq, deps, false, 0
		in.indexed = false
		r.index(in)
		r.persistVote(in, true)
	case !in.hasCmds || in.noop:
		// The index holds no commands for it here, so later interfering
		// commands would not depend on it.
		rep.Incomplete = true
	}
	row, inst := in.row, in.inst
	hidden := r.forgottenInterfering(row, cmds, deps)
	for q := range r.rows {
		p := int32(q)
		lo, hi := deps[q]+1, r.rows.known(p)-1
		if f := r.rows[q].forgotten; lo < f {
			// Forgotten instances above deps have lost their values here:
			// what is known of them is in hidden (forgottenInterfering);
			// none matters in the instance's own row, where they are below it
			// (forgetting is a prefix and it is not committed) and its
			// leader, which knew them, left them out of deps.
			if hidden[q] == hiddenRefutes {
				rep.Refuted = true
			}
			lo = f
		}
		// The whole live range is scanned, however long: a cap here made
		// the report Incomplete for good once a live row outgrew it while
		// the dead leader held forgetting back (review finding,
		// TestReviewLongRowBlocksValidationForEver). What is bounded is
		// the report, by the message budget; a full report is Incomplete
		// only until some of what it names commits.
		for i := lo; i <= hi && !rep.Refuted; i++ {
			if p == row && i == inst {
				continue
			}
			x := r.rows.get(p, i)
			if x == nil || x.status == None {
				continue // no vote here: voting from now on, this replica sees in
			}
			committed := x.status >= Committed
			var flag uint8
			switch {
			case !x.hasCmds || x.noop:
				if committed && x.hasCmds {
					continue // a committed no-op interferes with nothing
				}
				// Its commands are unknown here: wait for its commit.
			case !batchesInterfere(x.cmds, cmds):
				continue
			case x.deps[row] >= inst:
				if committed {
					continue
				}
			case committed:
				flag = validateRefutes
			case x.vbal == r.defaultBallot(p):
				flag = validateNotInitial
			}
			if len(rep.Rows) >= validateReportCap {
				rep.Incomplete = true
				break
			}
			rep.Rows, rep.Insts, rep.Flags = append(rep.Rows, p), append(rep.Insts, i), append(rep.Flags, flag)
			rep.Refuted = rep.Refuted || flag == validateRefutes
		}
	}
	return rep
}

// onValidateReply collects the answers to a validation.
func (r *Replica) onValidateReply(p int, m *ValidateReply) {
	pr, in := r.liveRound(instKey{m.Row, m.Inst}, true)
	if pr == nil {
		return
	}
	if !m.OK {
		if m.Ballot > pr.ballot {
			pr.done = true
			r.rec.stats.Preempted++
		}
		return
	}
	v := pr.val
	if m.Ballot != pr.ballot || v.replies[p] != nil || v.collected {
		return
	}
	v.replies[p] = m
	v.count++
	r.validationProgress(pr, in)
}

// validationProgress decides the round when its validation allows it:
// once a majority answered, and then at every tick while it waits.
func (r *Replica) validationProgress(pr *prepare, in *instance) {
	v := pr.val
	if !v.collected {
		if v.count < r.q.slow+1 {
			return
		}
		v.collected = true
		v.waitSince, v.askedAt = r.now, r.now
		var refuted bool
		refuted, v.blocked, v.waitFor = collectValidation(pr.key.row, v.fewest, v.answered, v.replies)
		if refuted {
			r.validationDecides(pr, in, false)
			return
		}
	}
	if v.blocked {
		// The round ends; the instance's timer starts another later,
		// with backoff, which asks again.
		pr.done = true
		return
	}
	for len(v.waitFor) > 0 {
		k := v.waitFor[0]
		x := r.rows.get(k.row, k.inst)
		if x == nil && r.rows.isForgotten(k.row, k.inst) {
			pr.done = true // executed and gone before it was looked at: ask again later
			return
		}
		if x == nil || x.status < Committed || !x.hasCmds {
			r.waitForCommit(pr, k)
			return
		}
		if !x.noop && batchesInterfere(x.cmds, v.initial.Cmds) && x.deps[pr.key.row] < pr.key.inst {
			r.validationDecides(pr, in, false)
			return
		}
		v.waitFor = v.waitFor[1:]
	}
	r.validationDecides(pr, in, true)
}

// waitForCommit is a validation waiting for k's commit, which this replica
// lacks. The commit may never come by itself (lost, with no Progress
// report that would make this replica ask, for instance above a gap of the
// row): so every retransmission timeout it asks the replicas that answered
// the validation, one of which reported k, for it; and after waitLimit
// retry periods the round ends, so that a round waiting on what never
// comes does not hold the instance for ever (found in review: a waiting
// round never asked and never timed out).
func (r *Replica) waitForCommit(pr *prepare, k instKey) {
	v := pr.val
	if r.now-v.waitSince >= waitLimit*int64(r.params.RetryTicks) {
		pr.done = true
		r.rec.stats.WaitTimeouts++
		return
	}
	if r.now-v.askedAt < paxi.MinRTOTicks && r.now != v.waitSince {
		return
	}
	v.askedAt = r.now
	for p, rep := range v.replies {
		if rep != nil && p != int(r.self) {
			r.Send(r.peers[p], &CommitRequest{Row: k.row, From: k.inst, To: k.inst})
			r.rec.stats.WaitRequests++
		}
	}
}

// waitingFor reports whether a validation of this replica waits for
// instance (row, inst): the answer to its request may lie beyond what
// catching up asks for (validCommits).
func (r *Replica) waitingFor(row int32, inst int64) bool {
	for _, pr := range r.rec.active {
		if pr.done || pr.val == nil || !pr.val.collected {
			continue
		}
		for _, k := range pr.val.waitFor {
			if k.row == row && k.inst == inst {
				return true
			}
		}
	}
	return false
}

// collectValidation reads the answers of a majority to a validation of an
// instance of row owner (fewest and answered as in validation): refuted
// when one shows no fast commit happened (cases a and b), else blocked when
// one could not report everything, and the instances to wait for (case
// c). It is a pure function of the answers, which TestValidationRules
// drives.
func collectValidation(owner int32, fewest bool, answered uint64, replies []*ValidateReply) (refuted, blocked bool, waitFor []instKey) {
	for _, m := range replies {
		if m == nil {
			continue
		}
		if m.Refuted {
			return true, false, nil
		}
		blocked = blocked || m.Incomplete
		for j, row := range m.Rows {
			f := m.Flags[j]
			if f&validateRefutes != 0 {
				return true, false, nil
			}
			if f&validateNotInitial != 0 && fewest && row != owner && answered&bit(int(row)) == 0 {
				return true, false, nil
			}
			waitFor = append(waitFor, instKey{row, m.Insts[j]})
		}
	}
	return false, blocked, waitFor
}

// validationDecides ends round pr: Accept the initial attributes (ok), or
// run phase 1 afresh with the commands.
func (r *Replica) validationDecides(pr *prepare, in *instance, ok bool) {
	pr.done = true
	m := pr.val.initial
	if ok {
		r.rec.stats.Validated++
		r.recoverAccept(in, pr.ballot, m)
		return
	}
	r.log.Debug("validation: no fast commit", "inst", in.String())
	r.rec.stats.Refuted++
	r.rec.stats.Reproposed++
	r.recoverPropose(in, pr.ballot, m.Cmds, m.Noop)
}

// validValidateReply checks what a ValidateReply names before it is used.
func (r *Replica) validValidateReply(from paxi.ID, m *ValidateReply) bool {
	if !r.validRef(from, m.Row, m.Inst, nil) {
		return false
	}
	if len(m.Insts) != len(m.Rows) || len(m.Flags) != len(m.Rows) {
		r.log.Warn("ignoring a ValidateReply with lists of different lengths", "from", from)
		return false
	}
	for j, row := range m.Rows {
		if !r.validRef(from, row, m.Insts[j], nil) {
			return false
		}
	}
	return true
}

// validateReportCap bounds the instances one ValidateReply names (a row,
// an instance and a flag each, at most 15 bytes encoded), well inside
// paxi.MessageBudget.
const validateReportCap = paxi.MessageBudget / 32

// What the forgotten instances of a row above some dependency are to a
// command (forgottenInterfering).
const (
	hiddenNone    = iota // none of them interferes with it
	hiddenRefutes        // one interferes: it was executed here while the validated instance is not committed, so it does not depend on it, and no fast commit of the instance can have left it out (case a)
)

// forgottenInterfering says, per row, what the forgotten instances above
// deps are to cmds (hidden*): through each key or client of cmds, whether
// the conflict index (exact, forgotten instances included) names an
// interfering instance of the row above deps, and if so what the summary
// of forgotten instances (forget.go) knows of them.
func (r *Replica) forgottenInterfering(row int32, cmds []paxi.Command, deps []int64) []uint8 {
	out := make([]uint8, r.n)
	states := r.conflicts.lookup(cmds)
	for j, ks := range states {
		if ks == nil {
			continue
		}
		c := &cmds[j/2]
		write := writes(cmds, j)
		for q := range out {
			p := int32(q)
			if out[q] == hiddenRefutes || p == row || r.rows[q].forgotten <= deps[q]+1 {
				continue
			}
			idx := ks.write()[q]
			if write {
				idx = max(idx, ks.read()[q])
			}
			if idx <= deps[q] {
				continue
			}
			if j%2 == 1 { // the client entry: exact
				if r.rec.forgotten.client(p, c.ClientID) > deps[q] {
					out[q] = hiddenRefutes
				}
				continue
			}
			if r.rec.forgotten.key(p, c.Key, write) > deps[q] {
				out[q] = hiddenRefutes
			}
		}
	}
	return out
}
