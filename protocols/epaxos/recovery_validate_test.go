package epaxos

import (
	"slices"
	"testing"

	"github.com/agora-consensus/agora/paxi"
)

// Tests of the validation phase (recovery_validate.go): the decisions as a
// table, and the ambiguous case of the optimized fast quorum (N = 5, the
// leader and one more replica down for good, one initial vote among the
// three answers) driven through the cluster with exact interleavings. Before
// the validation phase each of the cluster tests waited for ever: the
// instance never committed and the commands behind it never executed.

func TestValidationRules(t *testing.T) {
	const owner = 0
	reply := func(entries ...[3]int64) *ValidateReply {
		m := &ValidateReply{OK: true}
		for _, e := range entries {
			m.Rows, m.Insts, m.Flags = append(m.Rows, int32(e[0])), append(m.Insts, e[1]), append(m.Flags, uint8(e[2]))
		}
		return m
	}
	incomplete := &ValidateReply{OK: true, Incomplete: true}
	refutedForgotten := &ValidateReply{OK: true, Refuted: true}
	notInit, refutes := int64(validateNotInitial), int64(validateRefutes)
	answered := uint64(0b01110) // 1, 2 and 3 answered the Prepare; 0 (the leader) and 4 did not
	for _, tc := range []struct {
		name     string
		fewest   bool
		answered uint64
		replies  []*ValidateReply
		refuted  bool
		blocked  bool
		waitFor  []instKey
	}{
		{"nothing reported: accept", true, answered, []*ValidateReply{nil, reply(), reply(), reply(), nil}, false, false, nil},
		{"uncommitted interfering command: wait for it", true, answered, []*ValidateReply{nil, reply([3]int64{2, 5, 0}), reply(), reply(), nil}, false, false, []instKey{{2, 5}}},
		// Case a: visibility of committed values.
		{"committed without it: refuted", true, answered, []*ValidateReply{nil, reply([3]int64{2, 5, 0}), reply([3]int64{3, 1, refutes}), reply(), nil}, true, false, nil},
		{"forgotten interfering command: refuted", true, answered, []*ValidateReply{nil, reply(), refutedForgotten, reply(), nil}, true, false, nil},
		// Case b: EPaxos*'s "initial coordinator not in the quorum".
		{"initially independent, leader outside the quorum: refuted", true, answered, []*ValidateReply{nil, reply([3]int64{4, 7, notInit}), reply(), reply(), nil}, true, false, nil},
		{"initially independent, leader in the quorum: wait", true, answered, []*ValidateReply{nil, reply([3]int64{3, 7, notInit}), reply(), reply(), nil}, false, false, []instKey{{3, 7}}},
		{"initially independent, not the fewest votes: wait", false, answered, []*ValidateReply{nil, reply([3]int64{4, 7, notInit}), reply(), reply(), nil}, false, false, []instKey{{4, 7}}},
		{"initially independent, same row as the instance: wait", true, answered, []*ValidateReply{nil, reply([3]int64{0, 9, notInit}), reply(), reply(), nil}, false, false, []instKey{{0, 9}}},
		{"flag unset, leader outside the quorum: wait", true, answered, []*ValidateReply{nil, reply([3]int64{4, 7, 0}), reply(), reply(), nil}, false, false, []instKey{{4, 7}}},
		{"incomplete report: blocked", true, answered, []*ValidateReply{nil, reply([3]int64{2, 5, 0}), incomplete, reply(), nil}, false, true, []instKey{{2, 5}}},
		{"incomplete report but refuted elsewhere", true, answered, []*ValidateReply{nil, incomplete, reply([3]int64{3, 1, refutes}), reply(), nil}, true, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			refuted, blocked, waitFor := collectValidation(owner, tc.fewest, tc.answered, tc.replies)
			if refuted != tc.refuted || blocked != tc.blocked || (!refuted && !slices.Equal(waitFor, tc.waitFor)) {
				t.Fatalf("collectValidation = refuted %v blocked %v wait %v; want %v %v %v", refuted, blocked, waitFor, tc.refuted, tc.blocked, tc.waitFor)
			}
		})
	}
}

func TestBatchesInterfereAsTheConflictIndex(t *testing.T) {
	for _, tc := range []struct {
		a, b []paxi.Command
		want bool
	}{
		{[]paxi.Command{put(1, 1, "x")}, []paxi.Command{put(2, 1, "x")}, true},
		{[]paxi.Command{put(1, 1, "x")}, []paxi.Command{get(2, 1, "x")}, true},
		{[]paxi.Command{get(1, 1, "x")}, []paxi.Command{get(2, 1, "x")}, false},
		{[]paxi.Command{put(1, 1, "x")}, []paxi.Command{put(2, 1, "y")}, false},
		{[]paxi.Command{get(1, 1, "x")}, []paxi.Command{get(1, 2, "y")}, true}, // one client's commands all interfere
		{[]paxi.Command{put(1, 1, "x")}, []paxi.Command{{Op: paxi.Noop}}, false},
	} {
		// The index's own answer: b's attributes after recording a.
		c := newConflictIndex(2)
		record(tc.a, c.lookup(tc.a), 0, 0, 0)
		deps := []int64{-1, -1}
		var seq int64
		attributes(tc.b, c.lookup(tc.b), &seq, deps)
		if index := deps[0] == 0; index != tc.want || batchesInterfere(tc.a, tc.b) != tc.want || batchesInterfere(tc.b, tc.a) != tc.want {
			t.Fatalf("%v vs %v: batchesInterfere %v/%v, index %v, want %v", tc.a, tc.b, batchesInterfere(tc.a, tc.b), batchesInterfere(tc.b, tc.a), index, tc.want)
		}
	}
}

// ambiguous proposes γ at 1.1 whose PreAccept reaches only 1.2, which
// votes for it unchanged (the leader never hears back), and returns γ.
func (c *cluster) ambiguous(cmd paxi.Command) {
	c.drop = anyOf(
		dropWhere[*PreAccept](c.ids[0], nil, c.ids[2], c.ids[3], c.ids[4]),
		dropWhere[*PreAcceptReply](c.ids[1], nil, c.ids[0]),
	)
	c.propose(0, cmd)
	c.settle()
	if in := c.reps[1].rows.get(0, 0); in == nil || in.status != PreAccepted || !in.unchanged {
		c.t.Fatalf("1.2's vote on γ: %v, want an unchanged pre-accept", in)
	}
}

// validations sums the validation counters of the replicas in who.
func (c *cluster) validations(who ...int) (validated, refuted int64) {
	for _, i := range who {
		rc := c.reps[i].RecoveryCounters()
		validated += rc.Validated
		refuted += rc.Refuted
	}
	return validated, refuted
}

// γ's leader and 1.5 die for good; of the three survivors only 1.2 voted
// for γ, unchanged: a fast quorum (1.1, 1.2, 1.5) may have committed it.
// Nothing interferes with γ, so validation accepts its initial attributes
// and it commits and executes at the survivors.
func TestRecoveryValidatesAnAmbiguousInstance(t *testing.T) {
	c := newCluster(t, 5, `{"thrifty":false}`)
	gamma := put(1, 1, "x")
	c.ambiguous(gamma)
	c.crash(0)
	c.crash(4)
	c.drop = nil
	c.tick(recoveryTicks)
	all := c.requireSafe()
	got, ok := all[instKey{0, 0}]
	if !ok || got.noop || !slices.Equal(got.deps, []int64{-1, -1, -1, -1, -1}) {
		t.Fatalf("γ: %+v (committed %v), want committed with its initial attributes", got, ok)
	}
	c.requireExecutedEverywhere([]int{1, 2, 3}, []paxi.Command{gamma})
	if v, _ := c.validations(1, 2, 3); v == 0 {
		t.Fatal("γ was not decided by a validation")
	}
}

// As above, but δ = (4,0), on γ's key, fast-committed at 1.5 with 1.3 and
// 1.4, which never saw γ: δ does not depend on γ, so γ cannot have
// committed fast with its initial, empty deps. Validation finds δ committed
// at 1.3 and 1.4 and runs phase 1 afresh, so γ depends on δ. Accepting γ's
// initial attributes here (what rule 3 would do with one vote counted as
// F) leaves the two unordered, which requireSafe reports as a visibility
// violation.
func TestRecoveryValidationFindsAnInterferingCommit(t *testing.T) {
	c := newCluster(t, 5, `{"thrifty":false}`)
	gamma, delta := put(1, 1, "x"), put(5, 1, "x")
	c.ambiguous(gamma)
	c.crash(0)
	c.drop = anyOf(
		dropWhere[*PreAccept](c.ids[4], nil, c.ids[1]),
		dropWhere[*Commit](c.ids[4], nil, c.ids[1]),
	)
	c.propose(4, delta)
	c.settle()
	if in := c.reps[4].rows.get(4, 0); in.status < Committed || in.deps[0] >= 0 {
		t.Fatalf("δ: %v, want committed without γ", in)
	}
	c.crash(4)
	c.drop = nil
	c.tick(recoveryTicks)
	all := c.requireSafe()
	if got, ok := all[instKey{0, 0}]; !ok || got.deps[4] < 0 {
		t.Fatalf("γ: %+v (committed %v), want committed depending on δ", got, ok)
	}
	c.requireExecutedEverywhere([]int{1, 2, 3}, []paxi.Command{delta, gamma})
	c.requireSameInterferingOrder([]int{1, 2, 3})
	if _, r := c.validations(1, 2, 3); r == 0 {
		t.Fatal("γ was not decided by a validation")
	}
}

// Two ambiguous instances that would each wait for the other: γ = (0,0)
// reached only 1.2 and δ = (4,0), on the same key, only 1.3; both leaders
// die. Each validation reports the other uncommitted, voted at its initial
// ballot without a dependency on the validated one, and led by a replica
// outside the quorum: had γ committed fast, its fast quorum would include
// δ's leader, which would then have ordered the two (case b). So the first
// to validate does not wait: it runs phase 1 afresh and commits, and the
// other then finds it committed.
func TestRecoveryValidationBreaksAWaitCycle(t *testing.T) {
	c := newCluster(t, 5, `{"thrifty":false}`)
	gamma, delta := put(1, 1, "x"), put(5, 1, "x")
	c.ambiguous(gamma)
	c.drop = anyOf(
		dropWhere[*PreAccept](c.ids[4], nil, c.ids[0], c.ids[1], c.ids[3]),
		dropWhere[*PreAcceptReply](c.ids[2], nil, c.ids[4]),
	)
	c.propose(4, delta)
	c.settle()
	if in := c.reps[2].rows.get(4, 0); in == nil || in.status != PreAccepted || !in.unchanged {
		t.Fatalf("1.3's vote on δ: %v, want an unchanged pre-accept", in)
	}
	c.crash(0)
	c.crash(4)
	c.drop = nil
	c.tick(recoveryTicks)
	all := c.requireSafe()
	for _, k := range []instKey{{0, 0}, {4, 0}} {
		if _, ok := all[k]; !ok {
			t.Fatalf("%v never committed", k)
		}
	}
	c.requireExecutedEverywhere([]int{1, 2, 3}, []paxi.Command{gamma, delta})
	c.requireSameInterferingOrder([]int{1, 2, 3})
	if _, r := c.validations(1, 2, 3); r == 0 {
		t.Fatal("no validation refuted a fast commit")
	}
}

// Case 4 of chooseRecovery validates the first initial vote, and says
// whether the initial votes are the fewest that leave a fast commit
// possible (which case b needs): with the optimized quorum at N = 5 and 7
// they always are, since one more vote makes case 3 apply.
func TestRecoveryRulesValidateTheInitialVote(t *testing.T) {
	id := ids(7)
	initial := paxi.NewBallot(0, id[0])
	none := func() *PrepareReply { return vote(None, 0, false) }
	iv := func() *PrepareReply { return vote(PreAccepted, initial, true) }
	for _, tc := range []struct {
		name    string
		n       int
		replies []*PrepareReply
	}{
		{"n=5 one of three", 5, []*PrepareReply{nil, none(), iv(), none(), nil}},
		{"n=7 two of four", 7, []*PrepareReply{nil, none(), iv(), none(), iv(), nil, nil}},
	} {
		q := newQuorums(tc.n, DefaultParams())
		got, m, fewest := chooseRecovery(tc.n, 0, q.fast, initial, tc.replies)
		if got != recoverValidate || m != tc.replies[2] || !fewest {
			t.Fatalf("%s: chooseRecovery = %v, %+v, fewest %v; want validate the reply of 1.3, fewest", tc.name, got, m, fewest)
		}
	}
}
