package epaxos

import "github.com/agora-consensus/agora/paxi"

// Recovery (explicit prepare) finishes the instances of a replica that
// failed, so that a dead replica never blocks the commands that conflict
// with its own. It follows the explicit prepare of the technical report
// (Moraru, Andersen, Kaminsky, "A Proof of Correctness for Egalitarian
// Paxos", CMU-PDL-13-111, section 4.7 and figure 3), with the corrections
// of Sutra ("On the correctness of Egalitarian Paxos", 2019: the promised
// ballot and the ballot of the vote are two fields, and an accepted value
// is picked by the ballot it was voted in) and the rule of Ryabinin,
// Gotsman and Sutra ("Making Democracy Work", OPODIS 2025) that only votes
// for the command leader's initial attributes at its initial ballot are
// evidence of a fast commit. docs/RECOVERY.md states the rules, the
// argument for their safety and where ours depart from the sources.
//
// A recoverer of instance (R, i) picks a ballot no one else can pick,
// (k, itself) with k above every ballot it has seen for the instance,
// promises it itself and sends Prepare to every peer. Each peer promises
// the ballot (persisting the promise before it answers), stops leading the
// instance if it was, and answers with its vote: status, vote ballot,
// attributes, whether they were the leader's initial ones unchanged, and
// the commands; a peer that has the instance committed answers with the
// Commit instead. Once a majority (the recoverer included) has answered:
//
//  1. Some vote is an Accept: Accept, at the new ballot, the accepted
//     value with the highest vote ballot.
//  2. Otherwise, if R itself answered (it has promised the new ballot, so it
//     can no longer decide at its initial ballot, and it has not committed),
//     or if the pre-accepts for R's initial attributes at R's initial
//     ballot, from replicas other than R, plus the replicas other than R
//     that have not answered yet, are fewer than a fast quorum's acceptors:
//     no fast commit happened. Run phase 1 afresh at the new ballot with the
//     commands (a no-op if no one has them), then always the slow path.
//  3. Otherwise a fast commit may have happened. If at least F replicas
//     other than R pre-accepted R's initial attributes at R's initial
//     ballot, those F and R form a majority, so every interfering command
//     committed without a dependency on this one is among the initial
//     dependencies: Accept the initial attributes (that is the value a fast
//     commit chose, and it is safe if none happened).
//  4. Otherwise (only with the optimized fast quorum, N >= 5) the replies
//     cannot tell. Validate the initial attributes (recovery_validate.go,
//     after the validation and wait of EPaxos*): the replicas that answer
//     hold the command from then on and report the interfering instances
//     they know beyond the initial dependencies; one committed without
//     depending on it proves no fast commit happened (case 2), and once
//     every reported one has committed depending on it, the initial
//     attributes are Accepted. More Prepare answers meanwhile may still
//     settle it by cases 1 to 3. The technical report runs TryPreAccept
//     here instead.
//
// Recovery is started by per-instance timers in the protocol, never by the
// executor (which never blocks): every scan period a replica looks at the
// instances it voted on and the instances its executor waits for, and
// recovers one that has stayed uncommitted longer than a delay that grows
// with its rank after the instance's leader among the live replicas (so
// the leader's live successor tries first, and not everyone at once),
// with a random jitter,
// and doubles at every failed attempt. The state lives in r.rec, off the
// normal path: the hot path only tests one flag of the leader state.

// Prepare asks a replica to promise Ballot for instance (Row, Inst) and to
// report its vote.
type Prepare struct {
	Ballot paxi.Ballot
	Row    int32
	Inst   int64
}

// PrepareReply answers a Prepare with the replier's vote on the instance.
type PrepareReply struct {
	// Ballot is the Prepare's ballot when OK, else the higher ballot the
	// replier has promised.
	Ballot paxi.Ballot
	Row    int32
	Inst   int64
	OK     bool
	Status Status      // None, PreAccepted or Accepted
	VBal   paxi.Ballot // ballot of the vote
	Seq    int64
	Deps   []int64
	// Unchanged: the vote is the leader's attributes as proposed.
	Unchanged bool
	HasCmds   bool
	Cmds      []paxi.Command
	Noop      bool
}

// PromiseRecord is persisted before a PrepareReply leaves: the replica
// promised Bal for the instance and will refuse every lower ballot, after a
// restart too.
type PromiseRecord struct {
	Row  int32
	Inst int64
	Bal  paxi.Ballot
}

func init() {
	paxi.RegisterMessage("epaxos.Prepare", &Prepare{})
	paxi.RegisterMessage("epaxos.PrepareReply", &PrepareReply{})
	paxi.RegisterMessage("epaxos.PromiseRecord", &PromiseRecord{})
}

// instKey names an instance in the recovery bookkeeping.
type instKey struct {
	row  int32
	inst int64
}

// watched is an uncommitted instance a replica waits on.
type watched struct {
	since    int64 // tick it was first seen uncommitted, or of the last failed attempt
	attempts int   // recoveries started for it
}

// prepare is a Prepare round in progress at the recoverer.
type prepare struct {
	key     instKey
	ballot  paxi.Ballot
	replies []*PrepareReply // per peer index, this replica's own vote included
	count   int
	timer   paxi.Timer
	done    bool
	val     *validation // the validation phase, once case 4 started it (recovery_validate.go)
}

// recoveryState is everything recovery keeps.
type recoveryState struct {
	nextScan int64
	// watch maps the instances being waited on to their timers. It is
	// rebuilt at every scan from what the scan found, which is in instance
	// order, so nothing depends on the map's iteration order.
	watch  map[instKey]*watched
	active []*prepare // Prepare rounds in progress, in the order started
	// heard is, per peer, the tick of its last message: the instances a
	// live replica is responsible for are left to it.
	heard []int64
	// down has bit p while the host's report that p's connection dropped
	// stands (peerdown.go): nothing heard from p since.
	down uint64
	// replaced holds the commands of own instances a no-op may replace
	// (stashReplaced); nil when empty, so commits test it cheaply.
	replaced map[instKey][]paxi.Command
	stats    RecoveryCounters

	// forgotten summarises what forgotten instances touched, for the
	// validation phase (recovery_validate.go, forget.go).
	forgotten touchSummary
}

func (rs *recoveryState) init(n int) {
	rs.heard = make([]int64, n)
	for p := range rs.heard {
		rs.heard[p] = -1 << 62 // never: a peer silent since we started
	}
}

// RecoveryCounters are recovery's measurements.
type RecoveryCounters struct {
	Started      int64 // Prepare rounds started
	Committed    int64 // learned committed from a Prepare's answers
	Accepted     int64 // decided to Accept a voted value (cases 1 and 3)
	Reproposed   int64 // decided to run phase 1 afresh with the commands (case 2)
	Noops        int64 // decided to commit a no-op (case 2 without commands)
	Waited       int64 // Prepare answers that came during a validation and did not settle it
	Preempted    int64 // rounds ended by a higher ballot
	PromisesMade int64 // Prepares this replica promised
	Requeued     int64 // own commands proposed again, their instance having become a no-op
	Validations  int64 // validation phases started (case 4, recovery_validate.go)
	Validated    int64 // ... that ended in Accepting the initial attributes
	Refuted      int64 // ... that showed no fast commit happened (phase 1 afresh)
	WaitRequests int64 // commits a waiting validation asked for
	WaitTimeouts int64 // validations that waited too long for a commit and ended
}

// RecoveryCounters returns the replica's recovery measurements.
func (r *Replica) RecoveryCounters() RecoveryCounters { return r.rec.stats }

const (
	// maxActiveRecoveries caps the Prepare rounds a replica runs at once.
	maxActiveRecoveries = 256
	// scanWindow caps how far past its committed prefix a row is scanned:
	// a replica further behind catches up (catchup.go) before it recovers.
	scanWindow = 4096
)

// defaultBallot is the ballot the leader of row q proposes its instances
// with: only votes at it can be part of a fast commit.
func (r *Replica) defaultBallot(q int32) paxi.Ballot { return paxi.NewBallot(0, r.peers[q]) }

// scanPeriod is how often recovery looks for stuck instances.
// While a peer is reported down, every tick: commands that commit after
// the report may wait on its instances too (peerdown.go).
func (r *Replica) scanPeriod() int64 {
	if r.rec.down != 0 {
		return 1
	}
	return max(int64(r.params.RetryTicks)/2, 1)
}

// recoveryDelay is how long an instance of row q may stay uncommitted
// before this replica recovers it, after attempts earlier tries: one retry
// period, plus one per rank (recoveryRank), doubled at every attempt, plus
// up to a retry period of jitter. A live leader is never raced by it: it
// sends at least a Progress every retry period, and othersJob leaves the
// instances of a leader heard from within the delay to it.
//
// The first try of the first live replica after a leader the host reported
// down starts at once (peerdown.go).
func (r *Replica) recoveryDelay(q int32, attempts int) int64 {
	if attempts == 0 && r.hintedDown(q) && r.recoveryRank(q) == 1 {
		return 0
	}
	retry := int64(r.params.RetryTicks)
	d := retry + r.recoveryRank(q)*retry
	for range min(attempts, 5) {
		d *= 2
	}
	return d + r.jitter(retry)
}

// recoveryRank is this replica's place among the recoverers of row q: 0
// for its leader, else one more than the replicas between the leader and
// this one in ring order that were heard from within two retry periods.
// Counting only those keeps a replica from waiting a retry period for
// each dead one ahead of it: with the leader and its successor down, the
// next one recovers as soon as the successor would have.
func (r *Replica) recoveryRank(q int32) int64 {
	if q == r.self {
		return 0
	}
	rank := int64(1)
	for p := (int(q) + 1) % r.n; p != int(r.self); p = (p + 1) % r.n {
		if !r.silent(p) {
			rank++
		}
	}
	return rank
}

// silent reports whether nothing was heard from peer p for two retry
// periods (or since the host said its connection dropped, or ever): it
// counts as down for recovery's rank. Forgetting also waits two retry
// periods after this replica starts (silentPeers, forget.go).
func (r *Replica) silent(p int) bool { return r.quietSince(r.rec.heard[p]) }

// quietSince reports whether two retry periods have passed since tick t.
func (r *Replica) quietSince(t int64) bool { return r.now-t >= 2*int64(r.params.RetryTicks) }

// jitter is a random number of ticks below k, from the host's random
// source (seeded by the simulator), or 0 without one.
func (r *Replica) jitter(k int64) int64 {
	if r.rand == nil || k <= 0 {
		return 0
	}
	return r.rand.Int63n(k)
}

// recoveryTick runs at every tick: Prepare retransmissions, and every scan
// period the search for instances to recover.
func (r *Replica) recoveryTick() {
	rs := &r.rec
	if len(rs.active) > 0 {
		live := rs.active[:0]
		for _, pr := range rs.active {
			if pr.done {
				continue
			}
			in := r.rows.get(pr.key.row, pr.key.inst)
			if in == nil || in.status >= Committed || in.bal != pr.ballot {
				pr.done = true
				continue
			}
			live = append(live, pr)
			if pr.timer.Tick() {
				pr.timer.Reset(r.params.RetryTicks)
				r.sendPrepare(pr, false)
				if pr.val != nil && !pr.val.collected {
					r.sendValidate(pr, false)
				}
			}
			if pr.val != nil && pr.val.collected && !pr.done {
				// Waiting on reported instances to commit (case c).
				r.validationProgress(pr, in)
			}
		}
		clear(rs.active[len(live):])
		rs.active = live
	}
	if r.now < rs.nextScan {
		return
	}
	rs.nextScan = r.now + r.scanPeriod()
	r.scanForRecovery()
}

// scanForRecovery finds the instances this replica waits on that are not
// committed, and recovers those whose delay has run out.
func (r *Replica) scanForRecovery() {
	rs := &r.rec
	// The executor waits on the highest uncommitted dependency it met in
	// each row; every instance of the row up to it is a dependency too.
	waited := make([]int64, r.n)
	for q := range waited {
		waited[q] = -1
	}
	for _, v := range r.exec.waitingFor() {
		waited[v.row] = max(waited[v.row], v.inst)
	}
	var next map[instKey]*watched
	for q := range r.rows {
		row := int32(q)
		lo := r.committedUpTo[q] + 1
		hi := min(max(r.rows.known(row)-1, waited[q]), lo+scanWindow-1)
		for i := lo; i <= hi; i++ {
			if r.rows.isForgotten(row, i) {
				continue
			}
			in := r.rows.get(row, i)
			if in != nil && (in.status >= Committed || in.lead != nil) {
				continue
			}
			voted := in != nil && in.status != None
			if !voted && i > waited[q] {
				continue
			}
			if row == r.self && !voted {
				continue // own instances not started yet are no one's to recover
			}
			k := instKey{row, i}
			w := rs.watch[k]
			if w == nil {
				w = &watched{since: r.now}
			}
			if next == nil {
				next = make(map[instKey]*watched)
			}
			next[k] = w
			delay := r.recoveryDelay(row, w.attempts)
			if r.now-w.since >= delay && !r.othersJob(in, row, delay) && len(rs.active) < maxActiveRecoveries && !r.recovering(k) {
				w.attempts++
				w.since = r.now
				r.startRecovery(row, i)
			}
		}
	}
	rs.watch = next
}

// othersJob reports whether the instance is another live replica's to
// finish: the one that leads it (its leader at the initial ballot, else
// the recoverer whose ballot it holds) has been heard from within delay.
// A leader that is alive drives its instances itself, and takes back one it
// abandoned (it recovers its own row first, at distance 0), so recovering
// it would only duel with it. One that is down, cut off from us, or
// silent that long is recovered.
func (r *Replica) othersJob(in *instance, row int32, delay int64) bool {
	who := int(row)
	if in != nil && in.bal.N() > 0 {
		who = paxi.IndexOf(r.peers, in.bal.ID())
	}
	return who >= 0 && who != int(r.self) && r.now-r.rec.heard[who] < delay
}

// recovering reports whether a Prepare round for k is in progress here.
func (r *Replica) recovering(k instKey) bool {
	for _, pr := range r.rec.active {
		if pr.key == k && !pr.done {
			return true
		}
	}
	return false
}

// startRecovery starts a Prepare round for (row, inst) at a ballot of this
// replica's above every ballot it knows of for the instance.
func (r *Replica) startRecovery(row int32, inst int64) {
	in := r.rows.getOrCreate(row, inst)
	b := paxi.NewBallot(max(in.bal.N(), in.vbal.N())+1, r.id)
	r.promise(in, b)
	pr := &prepare{key: instKey{row, inst}, ballot: b, replies: make([]*PrepareReply, r.n)}
	r.rec.active = append(r.rec.active, pr)
	r.rec.stats.Started++
	r.log.Debug("recovering", "inst", in.String(), "ballot", b)
	pr.replies[r.self] = r.voteReply(in, b)
	pr.count = 1
	pr.timer.Reset(r.params.RetryTicks)
	if r.decideRecovery(pr, in) {
		return
	}
	r.sendPrepare(pr, true)
}

// sendPrepare sends the round's Prepare to every peer that has not
// answered (to all of them when first).
func (r *Replica) sendPrepare(pr *prepare, first bool) {
	m := &Prepare{Ballot: pr.ballot, Row: pr.key.row, Inst: pr.key.inst}
	for p := 0; p < r.n; p++ {
		if p != int(r.self) && (first || pr.replies[p] == nil) {
			r.Send(r.peers[p], m)
		}
	}
}

// promise makes this replica promise b for in: it stops leading the
// instance at a lower ballot and persists the promise before anything
// that depends on it leaves.
func (r *Replica) promise(in *instance, b paxi.Ballot) {
	if in.lead != nil && in.lead.ballot < b {
		r.abandon(in, b)
	}
	in.bal = b
	r.Persist(&PromiseRecord{Row: in.row, Inst: in.inst, Bal: b})
	r.stats.records++
}

// overtaken ends this replica's leadership of in before it votes at a
// higher ballot b: the vote replaces the attributes the leadership would
// commit, and a late majority for the lower ballot would commit them as if
// chosen there.
//
// A Prepare round of this replica's own below b ends too: its decision
// would replace the vote at b with one at a lower ballot. onPrepareReply
// would also refuse it (in.bal moves past the round's ballot), but only
// when a reply arrives; ending it here frees its slot at once.
func (r *Replica) overtaken(in *instance, b paxi.Ballot) {
	if in.lead != nil && in.lead.ballot < b {
		r.abandon(in, b)
	}
	r.dropPrepares(instKey{in.row, in.inst}, b)
}

// voteReply is this replica's vote on in, as a PrepareReply for ballot b.
func (r *Replica) voteReply(in *instance, b paxi.Ballot) *PrepareReply {
	m := &PrepareReply{Ballot: b, Row: in.row, Inst: in.inst, OK: true, Status: in.status, VBal: in.vbal}
	if in.status != None {
		m.Seq, m.Deps, m.Unchanged = in.seq, in.deps, in.unchanged
	}
	if in.hasCmds {
		m.HasCmds, m.Cmds, m.Noop = true, in.cmds, in.noop
	}
	return m
}

// onPrepare is a replica's side of a Prepare: promise and report, or
// refuse a ballot lower than its promise. A committed instance is answered
// with its Commit (acceptorInstance).
func (r *Replica) onPrepare(from paxi.ID, m *Prepare) {
	in := r.acceptorInstance(from, m.Row, m.Inst)
	if in == nil {
		return
	}
	if m.Ballot < in.bal {
		r.Send(from, &PrepareReply{Ballot: in.bal, Row: m.Row, Inst: m.Inst})
		return
	}
	if m.Ballot > in.bal {
		r.promise(in, m.Ballot)
		r.rec.stats.PromisesMade++
		r.dropPrepares(instKey{m.Row, m.Inst}, m.Ballot)
	}
	r.Send(from, r.voteReply(in, m.Ballot))
}

// dropPrepares ends this replica's Prepare rounds for k below ballot b.
func (r *Replica) dropPrepares(k instKey, b paxi.Ballot) {
	for _, pr := range r.rec.active {
		if pr.key == k && !pr.done && pr.ballot < b {
			pr.done = true
			r.rec.stats.Preempted++
		}
	}
}

// onPrepareReply collects the answers to a Prepare round.
func (r *Replica) onPrepareReply(p int, m *PrepareReply) {
	pr, in := r.liveRound(instKey{m.Row, m.Inst}, false)
	if pr == nil {
		return
	}
	if !m.OK {
		if m.Ballot > pr.ballot {
			pr.done = true
			r.rec.stats.Preempted++
			if m.Ballot > in.bal {
				// Remember it, so the next attempt starts above it.
				in.bal = m.Ballot
				r.Persist(&PromiseRecord{Row: in.row, Inst: in.inst, Bal: m.Ballot})
			}
		}
		return
	}
	if m.Ballot != pr.ballot || pr.replies[p] != nil {
		return
	}
	pr.replies[p] = m
	pr.count++
	r.decideRecovery(pr, in)
}

// recoveryChoice is what a Prepare round's answers decide.
type recoveryChoice int

const (
	recoverWait     recoveryChoice = iota // no majority yet
	recoverAccept                         // cases 1 and 3: Accept a voted value
	recoverPropose                        // case 2: phase 1 afresh
	recoverValidate                       // case 4: validate the initial attributes (recovery_validate.go)
)

// chooseRecovery applies the rules of the package doc to the replies of a
// round (indexed by peer, nil where none came): it returns what to do and,
// for recoverAccept, the reply whose value to Accept, for recoverPropose
// one that holds the commands (nil: a no-op), and for recoverValidate the
// initial vote whose attributes to validate; fewest says the initial votes
// are the fewest that leave a fast commit possible (case b of
// recovery_validate.go). It is a pure function of the replies, which is
// what the recovery tests drive.
func chooseRecovery(n, owner, fastAcceptors int, initial paxi.Ballot, replies []*PrepareReply) (choice recoveryChoice, m *PrepareReply, fewest bool) {
	f := (n - 1) / 2
	count := 0
	var accepted, holder *PrepareReply
	for _, m := range replies {
		if m == nil {
			continue
		}
		count++
		if m.Status == Accepted && (accepted == nil || m.VBal > accepted.VBal) {
			accepted = m
		}
		if m.HasCmds && m.Status != None && holder == nil {
			holder = m
		}
	}
	if count < f+1 {
		return recoverWait, nil, false
	}
	if accepted != nil {
		return recoverAccept, accepted, false // case 1
	}
	if replies[owner] != nil {
		return recoverPropose, holder, false // case 2: the leader can no longer decide
	}
	var initialVotes []*PrepareReply
	for p, m := range replies {
		if p != owner && m != nil && m.Status == PreAccepted && m.VBal == initial && m.Unchanged {
			initialVotes = append(initialVotes, m)
		}
	}
	missing := n - 1 - (count)
	if len(initialVotes)+missing < fastAcceptors {
		return recoverPropose, holder, false // case 2: no fast quorum can have formed
	}
	if len(initialVotes) >= f {
		return recoverAccept, initialVotes[0], false // case 3
	}
	return recoverValidate, initialVotes[0], len(initialVotes)+missing == fastAcceptors // case 4
}

// decideRecovery decides the round once its answers allow it, and reports
// whether it did.
func (r *Replica) decideRecovery(pr *prepare, in *instance) bool {
	choice, m, fewest := chooseRecovery(r.n, int(pr.key.row), r.q.fast, r.defaultBallot(pr.key.row), pr.replies)
	if choice == recoverWait {
		return false
	}
	if choice == recoverValidate {
		// More Prepare answers may still settle it by cases 1 to 3.
		if pr.val == nil {
			r.startValidation(pr, in, m, fewest)
		} else {
			r.rec.stats.Waited++
		}
		return pr.done
	}
	pr.done = true
	switch {
	case choice == recoverAccept:
		r.rec.stats.Accepted++
		r.recoverAccept(in, pr.ballot, m)
	case m != nil:
		r.rec.stats.Reproposed++
		r.recoverPropose(in, pr.ballot, m.Cmds, m.Noop)
	default:
		r.rec.stats.Noops++
		r.recoverPropose(in, pr.ballot, nil, true)
	}
	return true
}

// stashReplaced keeps the commands of an own instance that a no-op is
// about to replace (a recoverer found no one else holding them: this
// replica was cut off or down when it ran). If the instance commits as the
// no-op they never execute from it, and requeueReplaced proposes them
// again, or the clients waiting here would wait for ever. The state
// machine executes a (client, id) at most once, should one run twice.
func (r *Replica) stashReplaced(in *instance, noop bool) {
	if !noop || in.row != r.self || !in.hasCmds || in.noop || len(in.cmds) == 0 {
		return
	}
	if r.rec.replaced == nil {
		r.rec.replaced = make(map[instKey][]paxi.Command)
	}
	r.rec.replaced[instKey{in.row, in.inst}] = in.cmds
}

// requeueReplaced runs when in commits: if a no-op replaced its commands,
// they join the next instance.
func (r *Replica) requeueReplaced(in *instance) {
	k := instKey{in.row, in.inst}
	cmds, ok := r.rec.replaced[k]
	if !ok {
		return
	}
	delete(r.rec.replaced, k)
	if len(r.rec.replaced) == 0 {
		r.rec.replaced = nil
	}
	if in.noop {
		r.queue = append(r.queue, cmds...)
		r.rec.stats.Requeued += int64(len(cmds))
	}
}

// recoveryLeader makes this replica drive in at ballot b.
func (r *Replica) recoveryLeader(in *instance, b paxi.Ballot) *leader {
	r.releaseLeader(in)
	l := r.newLeader(in, 0)
	l.ballot, l.recovery, l.fellBack = b, true, true
	return l
}

// recoverAccept runs phase 2 at ballot b with the value of vote m.
//
// b == in.bal always: decideRecovery runs from startRecovery right after
// promise(in, b), and from onPrepareReply only when in.bal == pr.ballot.
// The check below keeps a future caller from voting at a ballot the
// replica has since promised away.
func (r *Replica) recoverAccept(in *instance, b paxi.Ballot, m *PrepareReply) {
	if b != in.bal {
		r.log.Error("recovery decided at a ballot no longer promised", "inst", in.String(), "ballot", b, "promised", in.bal)
		return
	}
	r.stashReplaced(in, m.Noop)
	in.hasCmds, in.cmds, in.noop = true, m.Cmds, m.Noop
	r.recoveryLeader(in, b)
	in.status, in.seq, in.deps = Accepted, m.Seq, m.Deps
	in.bal, in.vbal = max(in.bal, b), b
	r.index(in)
	// The record carries the commands: this replica may not have had them.
	r.persistVote(in, true)
	r.acceptRound(in)
}

// recoverPropose runs phase 1 afresh at ballot b with cmds (or a no-op),
// attributes from this replica's view; the acceptors add theirs and the
// round always ends in Accept (decide).
// As for recoverAccept, b == in.bal.
func (r *Replica) recoverPropose(in *instance, b paxi.Ballot, cmds []paxi.Command, noop bool) {
	if b != in.bal {
		r.log.Error("recovery decided at a ballot no longer promised", "inst", in.String(), "ballot", b, "promised", in.bal)
		return
	}
	deps := make([]int64, r.n)
	for q := range deps {
		deps[q] = -1
	}
	var seq int64
	if noop {
		cmds = nil
		r.stashReplaced(in, true)
	} else {
		states := r.conflicts.lookup(cmds)
		attributes(cmds, states, &seq, deps)
	}
	in.hasCmds, in.cmds, in.noop = true, cmds, noop
	in.status, in.seq, in.deps, in.unchanged = PreAccepted, seq, deps, true
	in.bal, in.vbal = max(in.bal, b), b
	in.indexed = false
	r.index(in)
	r.persistVote(in, true)
	l := r.recoveryLeader(in, b)
	if r.q.slow == 0 {
		r.decide(in)
		return
	}
	m := &PreAccept{Ballot: b, Row: in.row, Inst: in.inst, Seq: seq, Deps: deps, Cmds: cmds, Noop: noop}
	l.sentTo = r.others()
	l.firstWait = r.roundTimeout(r.q.slow)
	l.timer.Reset(l.firstWait)
	r.sendTo(l.sentTo, m)
	r.noteSend(in, l.sentTo, true)
	r.stats.preAcceptsSent += int64(r.n - 1)
}

// recoveryDecides is the reply count at which a recovery leader's phase 1
// decides: a majority with itself, since it always takes the slow path.
func (r *Replica) recoveryDecides(l *leader) bool { return l.recovery && l.replied.Count() == r.q.slow }

// liveRound is the replica's open recovery round for k (a validating one
// if validating) and the instance, or nil. A round whose instance has
// committed, or was overtaken, ends here: this replica promised (and may
// have voted at) a higher ballot since the round began, and a decision of
// this round would overwrite that vote with one at a lower ballot (found in
// review: a no-op chosen at b' then replaced by a vote at b < b', so a
// later recovery chose the command).
func (r *Replica) liveRound(k instKey, validating bool) (*prepare, *instance) {
	var pr *prepare
	for _, x := range r.rec.active {
		if x.key == k && !x.done && (!validating || x.val != nil) {
			pr = x
		}
	}
	if pr == nil {
		return nil, nil
	}
	in := r.rows.get(k.row, k.inst)
	if in == nil || in.status >= Committed || in.bal != pr.ballot {
		pr.done = true
		return nil, nil
	}
	return pr, in
}
