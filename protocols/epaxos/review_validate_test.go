package epaxos

import (
	"fmt"
	"testing"

	"github.com/agora-consensus/agora/paxi"
)

// Review of the validation phase (recovery_validate.go, commit f3b7377).
//
// A bucket of the forgotten-instance summary (recovery_forgotten.go) that
// another key of the same bucket last touched makes every validation of a
// command on the first key Incomplete for good: forgetting only grows, and
// the interfering instance that sends forgottenInterfering to the summary
// at all (the conflict index names an instance of the row above the
// validated deps) need not be forgotten, nor interfere with anything
// forgotten. The round ends, the timer asks again, the answer is the same:
// the instance is never recovered and everything behind it waits.
//
// The schedule, N = 5, optimized quorum, thrifty off:
//  1. 1.3 commits (2,0) = put on key k, which shares x's bucket; it executes
//     everywhere and every replica forgets it (all five report it).
//  2. γ = (0,0), a put on x at 1.1, reaches only 1.2 (unchanged vote):
//     ambiguous. 1.1 and 1.5 die for good.
//  3. 1.3 proposes δ = (2,1), a put on x: 1.2 adds γ, so δ commits on the
//     slow path depending on γ (it cannot execute before γ does).
//  4. Recovery of γ: one initial vote among three answers, so validation.
//     At 1.2, 1.3 and 1.4 the conflict index names (2,1) above γ's deps, the
//     summary's bucket for x holds (2,0) with key k: hiddenMaybe, Incomplete.
//
// With a key outside x's bucket the same schedule recovers γ (the control
// subtest); with k in it, γ never commits.
func TestReviewBucketCollisionBlocksValidationForEver(t *testing.T) {
	collide, other := "", ""
	for i := 0; collide == "" || other == ""; i++ {
		k := fmt.Sprintf("k%d", i)
		if touchKey(k) == touchKey("x") {
			if collide == "" {
				collide = k
			}
		} else if other == "" {
			other = k
		}
	}
	for _, tc := range []struct{ name, key string }{
		{"control: another bucket", other},
		{"same bucket as x", collide},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t, 5, `{"thrifty":false}`)
			c.propose(2, put(3, 1, tc.key))
			c.settle()
			c.tick(1000) // progress rounds: everyone reports (2,0), everyone forgets it
			for i := range c.reps {
				if f := c.reps[i].rows[2].forgotten; f < 1 {
					t.Fatalf("%s forgot row 2 below %d, want (2,0) forgotten", c.ids[i], f)
				}
			}
			gamma, delta := put(1, 1, "x"), put(4, 1, "x")
			c.ambiguous(gamma)
			c.crash(0)
			c.crash(4)
			c.drop = nil
			c.propose(2, delta)
			c.settle()
			if in := c.reps[2].rows.get(2, 1); in == nil || in.status < Committed || in.deps[0] < 0 {
				t.Fatalf("δ: %v, want committed depending on γ", in)
			}
			c.tick(recoveryTicks)
			all := c.requireSafe()
			var rc RecoveryCounters
			for _, i := range []int{1, 2, 3} {
				x := c.reps[i].RecoveryCounters()
				rc.Validations += x.Validations
				rc.Validated += x.Validated
				rc.Refuted += x.Refuted
			}
			if _, ok := all[instKey{0, 0}]; !ok {
				t.Fatalf("γ never committed in %d ticks: %d validations, %d validated, %d refuted (key %q shares x's bucket %d: %v)",
					recoveryTicks, rc.Validations, rc.Validated, rc.Refuted, tc.key, touchKey("x"), touchKey(tc.key) == touchKey("x"))
			}
			c.requireExecutedEverywhere([]int{1, 2, 3}, []paxi.Command{gamma, delta})
			if rc.Validated == 0 {
				t.Fatalf("γ committed, but not by a validation: %+v", rc)
			}
		})
	}
}

// A validation report is Incomplete once a row holds scanWindow instances
// above the validated deps that are not forgotten (validateHere), and it
// stays so: with the instance's leader down for good, its last progress
// report holds every row's forgotten prefix back at every replica, while
// the live replicas' rows keep growing with commands that interfere with
// nothing. So an ambiguous instance whose recovery comes after scanWindow
// unrelated instances of one live row is never recovered.
//
// The schedule: γ ambiguous as in TestRecoveryValidatesAnAmbiguousInstance
// (1.1 and 1.5 die for good), then 1.3 commits `count` instances on key y,
// one command each, before the survivors' recovery timers fire. With 100
// (control) γ is validated and commits; with scanWindow+4 it never does.
func TestReviewLongRowBlocksValidationForEver(t *testing.T) {
	for _, tc := range []struct {
		name  string
		count int
	}{
		{"control: a short row", 100},
		{"a row longer than scanWindow", scanWindow + 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t, 5, `{"thrifty":false}`)
			gamma := put(1, 1, "x")
			c.ambiguous(gamma)
			c.crash(0)
			c.crash(4)
			c.drop = nil
			c.codec = false // thousands of instances: skip the wire round trip
			for i := range tc.count {
				c.propose(2, put(3, uint64(i+1), "y"))
				c.settle()
			}
			if got := c.reps[2].rows.known(2); got != int64(tc.count) {
				t.Fatalf("1.3 started %d instances, want %d", got, tc.count)
			}
			c.tick(recoveryTicks)
			all := c.requireSafe()
			var rc RecoveryCounters
			for _, i := range []int{1, 2, 3} {
				x := c.reps[i].RecoveryCounters()
				rc.Validations += x.Validations
				rc.Validated += x.Validated
				rc.Refuted += x.Refuted
			}
			if _, ok := all[instKey{0, 0}]; !ok {
				t.Fatalf("γ never committed in %d ticks after %d instances of row 2: %d validations, %d validated, %d refuted",
					recoveryTicks, tc.count, rc.Validations, rc.Validated, rc.Refuted)
			}
			c.requireExecutedEverywhere([]int{1, 2, 3}, []paxi.Command{gamma})
			if rc.Validated == 0 {
				t.Fatalf("γ committed, but not by a validation: %+v", rc)
			}
		})
	}
}

// touchKey is the hash bucket (FNV-1a, 1024 buckets) of the forgotten-
// instance summary as the review found it; the summary is exact per key
// now, and this test keeps the colliding keys it was written with.
func touchKey(key string) int {
	h := uint32(2166136261)
	for i := 0; i < len(key); i++ {
		h = (h ^ uint32(key[i])) * 16777619
	}
	return int(h % 1024)
}
