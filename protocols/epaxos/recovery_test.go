package epaxos

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"

	"github.com/agora-consensus/agora/paxi"
)

// Recovery tests. The rules are tested as a pure function (chooseRecovery);
// the known mistakes of earlier implementations are each driven through the
// package's deterministic cluster, with exact interleavings made by
// dropping, holding and crashing, and checked on what the replicas
// persisted: every instance committed with one value (agreement), and of
// two interfering committed commands one depends on the other
// (visibility), which is what makes execution order the same everywhere.

// vote builds a PrepareReply for the rule tests.
func vote(status Status, vbal paxi.Ballot, unchanged bool) *PrepareReply {
	m := &PrepareReply{OK: true, Status: status, VBal: vbal, Unchanged: unchanged}
	if status != None {
		m.HasCmds, m.Cmds = true, []paxi.Command{put(1, 1, "x")}
	}
	return m
}

func TestRecoveryRules(t *testing.T) {
	id := ids(7)
	initial := paxi.NewBallot(0, id[0]) // owner is row 0 everywhere
	b1, b2 := paxi.NewBallot(1, id[1]), paxi.NewBallot(2, id[2])
	none := func() *PrepareReply { return vote(None, 0, false) }
	for _, tc := range []struct {
		name    string
		n       int
		replies []*PrepareReply
		want    recoveryChoice
		pick    int // index of the reply whose value is taken (-1: none, noop)
	}{
		{"no majority yet", 3, []*PrepareReply{nil, none(), nil}, recoverWait, -1},
		{"nothing voted: no-op", 3, []*PrepareReply{nil, none(), none()}, recoverPropose, -1},
		// Sutra 2019: pick by the ballot of the vote, not the promise.
		{"highest vote ballot wins", 3, []*PrepareReply{{OK: true, Status: Accepted, VBal: initial, HasCmds: true}, vote(Accepted, b1, false), nil}, recoverAccept, 1},
		{"accept beats initial pre-accepts", 5, []*PrepareReply{nil, vote(PreAccepted, initial, true), vote(PreAccepted, initial, true), vote(Accepted, b2, false), nil}, recoverAccept, 3},
		{"leader answered: no fast commit", 3, []*PrepareReply{vote(PreAccepted, initial, true), vote(PreAccepted, initial, true), nil}, recoverPropose, 0},
		{"n=3 one initial vote: accept it", 3, []*PrepareReply{nil, vote(PreAccepted, initial, true), none()}, recoverAccept, 1},
		// #29: a changed copy (the recoverer's own or anyone's) is no evidence.
		{"changed vote is not evidence", 3, []*PrepareReply{nil, vote(PreAccepted, initial, false), none()}, recoverPropose, 1},
		{"vote at a recovery ballot is not evidence", 3, []*PrepareReply{nil, vote(PreAccepted, b1, true), none()}, recoverPropose, 1},
		// #16 and the optimized quorum: one initial vote among three answers
		// of five cannot tell a fast commit from none.
		{"n=5 one initial vote, one missing: validate", 5, []*PrepareReply{nil, vote(PreAccepted, initial, true), none(), none(), nil}, recoverValidate, 1},
		{"n=5 one initial vote, all answered: propose", 5, []*PrepareReply{nil, vote(PreAccepted, initial, true), none(), none(), none()}, recoverPropose, 1},
		{"n=5 two initial votes: accept", 5, []*PrepareReply{nil, vote(PreAccepted, initial, true), vote(PreAccepted, initial, true), none(), nil}, recoverAccept, 1},
		{"n=7 two initial votes, two missing: validate", 7, []*PrepareReply{nil, vote(PreAccepted, initial, true), vote(PreAccepted, initial, true), none(), none(), nil, nil}, recoverValidate, 1},
		{"n=7 two initial votes, one missing: propose", 7, []*PrepareReply{nil, vote(PreAccepted, initial, true), vote(PreAccepted, initial, true), none(), none(), none(), nil}, recoverPropose, 1},
		{"n=7 three initial votes: accept", 7, []*PrepareReply{nil, vote(PreAccepted, initial, true), vote(PreAccepted, initial, true), vote(PreAccepted, initial, true), none(), nil, nil}, recoverAccept, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := newQuorums(tc.n, DefaultParams())
			got, m, _ := chooseRecovery(tc.n, 0, q.fast, initial, tc.replies)
			var want *PrepareReply
			if tc.pick >= 0 {
				want = tc.replies[tc.pick]
			}
			if got != tc.want || m != want {
				t.Fatalf("chooseRecovery = %v, %+v; want %v, reply %d", got, m, tc.want, tc.pick)
			}
		})
	}
}

// committedValue is what one replica persisted for a committed instance.
type committedValue struct {
	seq  int64
	deps []int64
	noop bool
	cmds []paxi.Command
}

// committedLog reads replica i's disk: every committed instance with its
// value (commands from whichever record of the instance carried them).
func (c *cluster) committedLog(i int) map[instKey]committedValue {
	cmds := map[instKey][]paxi.Command{}
	noop := map[instKey]bool{}
	out := map[instKey]committedValue{}
	for _, rec := range c.disk[i] {
		switch m := rec.(type) {
		case *VoteRecord:
			if m.HasCmds {
				k := instKey{m.Row, m.Inst}
				cmds[k], noop[k] = m.Cmds, m.Noop
			}
		case *CommitRecord:
			k := instKey{m.Row, m.Inst}
			if m.HasCmds {
				cmds[k], noop[k] = m.Cmds, m.Noop
			}
			out[k] = committedValue{seq: m.Seq, deps: m.Deps, noop: noop[k], cmds: cmds[k]}
		}
	}
	return out
}

// requireSafe checks agreement and visibility over everything the
// replicas persisted, and returns the agreed values.
func (c *cluster) requireSafe() map[instKey]committedValue {
	c.t.Helper()
	all := map[instKey]committedValue{}
	var keys []instKey
	for i := range c.reps {
		for k, v := range c.committedLog(i) {
			w, ok := all[k]
			if !ok {
				all[k] = v
				keys = append(keys, k)
				continue
			}
			if w.seq != v.seq || !slices.Equal(w.deps, v.deps) || w.noop != v.noop || len(w.cmds) != len(v.cmds) {
				c.t.Fatalf("agreement: %v committed as seq %d deps %v noop %v at one replica, seq %d deps %v noop %v at %s",
					k, w.seq, w.deps, w.noop, v.seq, v.deps, v.noop, c.ids[i])
			}
		}
	}
	interfere := func(a, b committedValue) bool {
		if a.noop || b.noop {
			return false
		}
		for _, x := range a.cmds {
			for _, y := range b.cmds {
				if x.Key == y.Key && (x.Op.IsWrite() || y.Op.IsWrite()) {
					return true
				}
			}
		}
		return false
	}
	for x, a := range keys {
		for _, b := range keys[x+1:] {
			va, vb := all[a], all[b]
			if interfere(va, vb) && va.deps[b.row] < b.inst && vb.deps[a.row] < a.inst {
				c.t.Fatalf("visibility: %v (deps %v) and %v (deps %v) interfere and neither depends on the other", a, va.deps, b, vb.deps)
			}
		}
	}
	return all
}

// dropWhere returns a drop rule for messages of type T from one replica,
// and to one of the given ones (any when none given), that match.
func dropWhere[T paxi.Message](from paxi.ID, match func(T) bool, to ...paxi.ID) func(paxi.Envelope) bool {
	return func(e paxi.Envelope) bool {
		m, ok := e.Msg.(T)
		return ok && e.From == from && (len(to) == 0 || slices.Contains(to, e.To)) && (match == nil || match(m))
	}
}

// anyOf combines drop rules.
func anyOf(rules ...func(paxi.Envelope) bool) func(paxi.Envelope) bool {
	return func(e paxi.Envelope) bool {
		for _, r := range rules {
			if r != nil && r(e) {
				return true
			}
		}
		return false
	}
}

// recoveryTicks is long enough for the recovery timers of the default
// parameters to fire and their rounds to finish, several times over.
const recoveryTicks = 3000

// A command leader that crashes before its PreAccept arrives anywhere: the
// instance is found as a dependency of its next one, is recovered as an
// explicit no-op, and later interfering commands still depend on what
// committed. The leader, restarted, learns the no-op, so the lost command
// does not execute from that instance; the leader proposes it again.
func TestRecoveryCommitsANoopForAnInstanceNoOneReceived(t *testing.T) {
	c := newCluster(t, 3, "")
	lost, next := put(1, 1, "x"), put(1, 2, "x")
	c.drop = dropWhere[*PreAccept](c.ids[0], func(m *PreAccept) bool { return m.Inst == 0 })
	c.propose(0, lost)
	c.propose(0, next) // (0,1), depends on (0,0) through key x
	c.settle()
	c.crash(0)
	c.drop = nil
	c.tick(recoveryTicks)
	c.requireExecutedEverywhere([]int{1, 2}, []paxi.Command{next})
	for _, i := range []int{1, 2} {
		if in := c.reps[i].rows.get(0, 0); in == nil || in.status < Committed || !in.noop || len(in.cmds) != 0 {
			t.Fatalf("%s: instance (0,0) is %v, want a committed explicit no-op", c.ids[i], in)
		}
	}
	later := put(2, 1, "x")
	c.propose(1, later)
	c.settle()
	if in := c.reps[1].rows.get(1, 0); in == nil || in.deps[0] < 1 {
		t.Fatalf("later command on x: %v, want it to depend on (0,1)", in)
	}
	c.restart(0)
	c.tick(recoveryTicks)
	// The leader still holds the lost command, its client waiting: it
	// proposes it again, and it executes once.
	c.requireExecutedEverywhere([]int{0, 1, 2}, []paxi.Command{next, later, lost})
	c.requireSameInterferingOrder([]int{0, 1, 2})
	c.requireSafe()
	if n := c.reps[1].RecoveryCounters().Noops + c.reps[2].RecoveryCounters().Noops; n < 1 {
		t.Fatalf("no recovery decided a no-op (counters %+v %+v)", c.reps[1].RecoveryCounters(), c.reps[2].RecoveryCounters())
	}
}

// Sutra 2019: two recoverers at different ballots. Replica 1.2 recovers
// γ = (0,0) at ballot 1, commits a value v1 (its Commits lost) and
// crashes; the leader 1.1 had accepted another value v0 at its initial
// ballot and comes back. Its recovery must find v1 by its vote ballot
// (1 > 0), though its own promise is higher: with one ballot field, its
// own stale vote would look newest and the replicas would diverge.
func TestRecoveryTwoRecoverersDoNotDiverge(t *testing.T) {
	c := newCluster(t, 3, `{"thrifty":false}`)
	delta, gamma := put(3, 1, "x"), put(1, 1, "x")
	c.crash(0)
	c.propose(2, delta) // δ = (2,0) commits at 1.2 and 1.3 only
	c.settle()
	c.down[0] = false // back, having missed δ (not a restart: its state is intact)
	c.drop = dropWhere[*Accept](c.ids[0], nil)
	c.propose(0, gamma) // both acceptors add δ: slow path, Accept v0 lost
	c.settle()
	if in := c.reps[0].rows.get(0, 0); in.status != Accepted {
		t.Fatalf("leader: %v, want accepted at its initial ballot", in)
	}
	c.crash(0)
	c.drop = dropWhere[*Commit](c.ids[1], nil)
	c.reps[1].startRecovery(0, 0)
	c.process(1)
	c.settle()
	v1 := c.reps[1].rows.get(0, 0)
	if v1.status < Committed {
		t.Fatalf("first recoverer: %v, want committed", v1)
	}
	v1deps := slices.Clone(v1.deps)
	c.crash(1)
	c.drop = nil
	c.restart(0)
	c.tick(recoveryTicks)
	c.restart(1)
	c.tick(recoveryTicks)
	all := c.requireSafe()
	if got := all[instKey{0, 0}]; !slices.Equal(got.deps, v1deps) {
		t.Fatalf("γ committed with deps %v, want v1's %v", got.deps, v1deps)
	}
	c.requireExecutedEverywhere([]int{0, 1, 2}, []paxi.Command{delta, gamma})
	c.requireSameInterferingOrder([]int{0, 1, 2})
}

// #29 (efficient/epaxos): recovery seeded its tally from the recoverer's
// own pre-accepted copy, counting it once more as a vote. Here γ's
// PreAccept reaches only 1.2 (one-sided loss), δ commits on the fast path
// at 1.3, 1.4, 1.5 without γ, and γ's leader dies. One initial vote among
// the five is no evidence of a fast commit; counted twice it would be (two
// of F = 2), γ would be accepted with its initial, empty deps, and γ and δ
// would not be ordered.
func TestRecoveryDoesNotCountItsOwnCopyTwice(t *testing.T) {
	c := newCluster(t, 5, `{"thrifty":false}`)
	gamma, delta := put(1, 1, "x"), put(4, 1, "x")
	c.drop = anyOf(
		dropWhere[*PreAccept](c.ids[0], nil, c.ids[2], c.ids[3], c.ids[4]),
		dropWhere[*PreAcceptReply](c.ids[1], nil, c.ids[0]),
	)
	c.propose(0, gamma)
	c.settle()
	c.crash(0)
	c.drop = anyOf(
		dropWhere[*PreAccept](c.ids[3], nil, c.ids[1]),
		dropWhere[*Commit](c.ids[3], nil, c.ids[1]),
	)
	c.propose(3, delta)
	c.settle()
	if in := c.reps[3].rows.get(3, 0); in.status < Committed || in.deps[0] >= 0 {
		t.Fatalf("δ: %v, want committed without γ", in)
	}
	c.tick(recoveryTicks)
	c.drop = nil
	c.tick(recoveryTicks)
	c.requireSafe()
	c.requireExecutedEverywhere([]int{1, 2, 3, 4}, []paxi.Command{delta})
	c.requireSameInterferingOrder([]int{1, 2, 3, 4})
}

// #28: a PreAccept answered before the vote is durable. 1.2 pre-accepts γ
// and γ fast-commits (its Commits lost), then 1.2 crashes and restarts:
// had its vote not been on disk, it would pre-accept δ unchanged and δ
// too would fast-commit with empty deps.
func TestRecoveryVotesSurviveARestart(t *testing.T) {
	c := newCluster(t, 3, "")
	gamma, delta := put(1, 1, "x"), put(3, 1, "x")
	c.drop = dropWhere[*Commit](c.ids[0], nil)
	c.propose(0, gamma)
	c.settle()
	if in := c.reps[0].rows.get(0, 0); in.status < Committed {
		t.Fatalf("γ: %v, want fast-committed at its leader", in)
	}
	c.crash(0)
	c.crash(1)
	c.restart(1)
	c.drop = nil
	c.propose(2, delta)
	c.tick(recoveryTicks)
	c.restart(0)
	c.tick(recoveryTicks)
	c.requireSafe()
	c.requireExecutedEverywhere([]int{0, 1, 2}, []paxi.Command{gamma, delta})
	c.requireSameInterferingOrder([]int{0, 1, 2})
}

// #27: the leader commits on the fast path and executes, and its Commit
// never leaves (it crashes). A conflicting δ arrives at the only acceptor
// after γ. Recovery must commit the attributes the leader executed with,
// not ones recomputed from the acceptor's later view (which has δ).
func TestRecoveryKeepsWhatTheFastPathCommitted(t *testing.T) {
	c := newCluster(t, 3, "")
	gamma, delta := put(1, 1, "x"), put(3, 1, "x")
	c.drop = dropWhere[*Commit](c.ids[0], nil)
	c.propose(0, gamma)
	c.settle()
	if len(c.executed[0]) != 1 {
		t.Fatalf("leader executed %v, want γ", c.executed[0])
	}
	c.crash(0)
	c.drop = nil
	c.propose(2, delta)
	c.tick(recoveryTicks)
	c.restart(0)
	c.tick(recoveryTicks)
	c.requireSafe()
	c.requireExecutedEverywhere([]int{0, 1, 2}, []paxi.Command{gamma, delta})
	c.requireSameInterferingOrder([]int{0, 1, 2})
}

// #26: recovery must not hang on the executor. Survivors whose executor
// waits on a dead leader's instances keep ticking and answering, start
// recovery from their own timers and execute everything.
func TestRecoveryStartsFromTimersWhileExecutionWaits(t *testing.T) {
	c := newCluster(t, 3, "")
	var cmds []paxi.Command
	// The leader's Accepts and Commits are lost: its instances stay
	// uncommitted at the survivors, which still commit their own, which
	// depend on them.
	c.drop = anyOf(dropWhere[*Accept](c.ids[0], nil), dropWhere[*Commit](c.ids[0], nil))
	for k := range 5 {
		for i := range 3 {
			cmd := put(uint64(i+1), uint64(k+1), "x")
			cmds = append(cmds, cmd)
			c.propose(i, cmd)
		}
	}
	c.settle()
	c.crash(0)
	c.drop = nil
	if c.reps[1].exec.stats.pending == 0 && c.reps[2].exec.stats.pending == 0 {
		t.Fatal("nothing waits on the dead leader: the test sets up nothing")
	}
	c.tick(recoveryTicks)
	var survivors []paxi.Command
	for _, cmd := range cmds {
		if cmd.ClientID != 1 {
			survivors = append(survivors, cmd)
		}
	}
	c.requireExecutedEverywhere([]int{1, 2}, survivors)
	c.requireSameInterferingOrder([]int{1, 2})
	c.requireSafe()
	for _, i := range []int{1, 2} {
		if p := c.reps[i].Counters().PendingExecution; p != 0 {
			t.Fatalf("%s: %d committed instances still not executed", c.ids[i], p)
		}
	}
}

// A replica killed for good under 100% conflicts: every survivor executes
// everything the survivors proposed, before and after the crash, and
// flow control (max_inflight) does not stop them.
func TestRecoveryAfterAPermanentCrashUnderFullConflict(t *testing.T) {
	for _, n := range []int{3, 5} {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			c := newCluster(t, n, `{"max_inflight":4}`)
			seed := testSeed(t)
			c.rng = newRand(seed)
			var want []paxi.Command
			id := uint64(0)
			round := func(who []int) {
				for _, i := range who {
					id++
					cmd := put(uint64(i+1), id, "x")
					if i != 0 {
						want = append(want, cmd)
					}
					c.propose(i, cmd)
				}
			}
			all := make([]int, n)
			for i := range all {
				all[i] = i
			}
			for range 10 {
				round(all)
				c.deliverSome(n)
			}
			c.crash(0)
			for range 30 {
				round(all[1:])
				c.tick(50)
			}
			c.tick(recoveryTicks)
			c.requireExecutedEverywhere(all[1:], want)
			c.requireSameInterferingOrder(all[1:])
			c.requireSafe()
		})
	}
}

func newRand(seed int64) *rand.Rand { return rand.New(rand.NewSource(seed)) }

// deliverSome delivers up to k queued messages.
func (c *cluster) deliverSome(k int) {
	for range k {
		if !c.deliverOne() {
			return
		}
	}
}

// A promise survives a restart: a replica that promised a recoverer's
// ballot and restarts still refuses the leader's initial ballot, and
// reports the promise's effect (its vote) unchanged.
func TestRecoveryPromiseSurvivesARestart(t *testing.T) {
	r := acceptor(t)
	rd := preAccept(r, 0, 0, 0, noDeps(), put(1, 1, "x"))
	disk := slices.Clone(rd.Persist)
	b := paxi.NewBallot(1, "1.3")
	r.Step("1.3", &Prepare{Ballot: b, Row: 0, Inst: 0})
	rd = r.Ready()
	rep := only[*PrepareReply](t, rd.Messages)
	if !rep.OK || rep.Status != PreAccepted || rep.VBal != paxi.NewBallot(0, "1.1") || !rep.Unchanged {
		t.Fatalf("PrepareReply %+v, want OK with the initial-ballot unchanged vote", rep)
	}
	disk = append(disk, rd.Persist...)
	for k, m := range disk {
		disk[k] = mustRoundTrip(t, m)
	}
	r2, err := New(paxi.Env{ID: "1.2", Peers: ids(3), Rand: newRand(1), Restored: disk})
	if err != nil {
		t.Fatal(err)
	}
	r2.Ready()
	r2.Step("1.1", &Accept{Ballot: paxi.NewBallot(0, "1.1"), Row: 0, Inst: 0, Deps: noDeps(), HasCmds: true, Cmds: []paxi.Command{put(1, 1, "x")}})
	if rep := only[*AcceptReply](t, r2.Ready().Messages); rep.OK || rep.Ballot != b {
		t.Fatalf("after restart, Accept at the initial ballot answered %+v, want a refusal naming %v", rep, b)
	}
}

func mustRoundTrip(t *testing.T, m paxi.Message) paxi.Message {
	t.Helper()
	out, err := codec(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A replica that leads an instance at one ballot (a recoverer's, or the
// leader's initial one) and votes for a higher ballot's value must stop
// leading: its state now holds the other ballot's attributes, and a late
// majority for its own ballot would commit them as if they had been
// chosen at its ballot.
func TestRecoveryLeaderOvertakenByAHigherBallotStops(t *testing.T) {
	r := acceptor(t) // 1.2
	preAccept(r, 0, 0, 0, noDeps(), put(1, 1, "x"))
	r.startRecovery(0, 0)
	b1 := r.rows.get(0, 0).bal
	r.Ready()
	r.Step("1.3", &PrepareReply{Ballot: b1, Row: 0, Inst: 0, OK: true})
	for _, e := range r.Ready().Messages {
		if acc, ok := e.Msg.(*Accept); !ok || acc.Ballot != b1 || !slices.Equal(acc.Deps, noDeps()) {
			t.Fatalf("recoverer sent %+v, want Accepts of the initial attributes at %v", e.Msg, b1)
		}
	}
	b2 := paxi.NewBallot(2, "1.3")
	other := []int64{-1, -1, 7}
	r.Step("1.3", &Accept{Ballot: b2, Row: 0, Inst: 0, Deps: other, HasCmds: true, Cmds: []paxi.Command{put(1, 1, "x")}})
	r.Ready()
	r.Step("1.1", &AcceptReply{Ballot: b1, Row: 0, Inst: 0, OK: true})
	r.Ready()
	if in := r.rows.get(0, 0); in.status >= Committed {
		t.Fatalf("committed %v after voting for ballot %v: its majority at %v was for other attributes", in, b2, b1)
	}
}
