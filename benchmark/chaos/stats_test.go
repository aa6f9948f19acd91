package chaos

import (
	"testing"
	"time"

	"github.com/agora-consensus/agora/checker"
	"github.com/agora-consensus/agora/paxi"
)

func ack(key, op, value string, call, ret time.Duration) checker.Operation {
	return checker.Operation{Op: op, Key: key, Value: value, Call: int64(call), Return: int64(ret)}
}

func TestMeasureFindsWorstSecondAfterFirstKill(t *testing.T) {
	var ops []checker.Operation
	// 10 ops per second for 5 s, except second 1 (before the kill: not
	// counted as worst) with 1 and second 3 with 4.
	per := []int{10, 1, 10, 4, 10}
	for s, n := range per {
		for i := 0; i < n; i++ {
			at := time.Duration(s)*time.Second + time.Duration(i)*10*time.Millisecond
			ops = append(ops, ack("k0", "get", "", at, at+time.Millisecond))
		}
	}
	ops = append(ops, checker.Operation{Op: "put", Key: "k0", Value: "x", Call: 0, Return: -1}) // pending: not counted
	ops = append(ops, ack("k0", "get", "", 5*time.Second, 6*time.Second))                       // after the run: not counted
	a := Measure(ops, 5*time.Second, 2500*time.Millisecond)
	if a.Median != 10 || a.WorstSecond != 3 || a.Worst != 4 || a.Fraction != 0.4 {
		t.Fatalf("median %v worst second %d (%d ops) fraction %v; want 10, 3 (4), 0.4", a.Median, a.WorstSecond, a.Worst, a.Fraction)
	}
	if len(a.BelowHalf) != 1 || a.BelowHalf[0] != 3 {
		t.Fatalf("seconds below half the median: %v, want [3]", a.BelowHalf)
	}
	if len(a.Per100ms) != 50 || a.Per100ms[0] != 10 || a.Per100ms[10] != 1 || a.PerSecond[1] != 1 {
		t.Fatalf("buckets: %v / %v", a.Per100ms, a.PerSecond)
	}
}

func TestLostWritesNamesOverwrittenLaterWrite(t *testing.T) {
	ops := []checker.Operation{
		ack("k0", "put", "a", 0, 10),
		ack("k0", "put", "b", 20, 30), // acknowledged after a returned: the final value cannot be a
		ack("k1", "put", "c", 0, 10),
		{Op: "put", Key: "k1", Value: "d", Call: 5, Return: -1}, // pending: may or may not survive
		ack("k2", "put", "e", 0, 10),
	}
	lost := LostWrites(ops, map[string]string{"k0": "a", "k1": "c", "k2": ""})
	if len(lost) != 2 || lost[0].Value != "b" || lost[1].Value != "e" {
		t.Fatalf("lost = %v, want put b (k0 reads the older a) and put e (k2 reads empty)", lost)
	}
	if lost := LostWrites(ops, map[string]string{"k0": "b", "k1": "d", "k2": "e"}); len(lost) != 0 {
		t.Fatalf("nothing lost, got %v", lost)
	}
}

func TestPlanKeepsOneReplicaDownAtATime(t *testing.T) {
	ids := []paxi.ID{"1.1", "1.2", "1.3"}
	for seed := int64(1); seed <= 50; seed++ {
		p := Plan(seed, ids, 3*time.Minute, 5*time.Second, 10*time.Second, 2*time.Second, 5*time.Second)
		if len(p) < 3*60/10-1 || len(p) > 3*60/5 {
			t.Fatalf("seed %d: %d faults in 3 min at one per 5-10 s", seed, len(p))
		}
		for i, f := range p {
			if d := f.Restart - f.Kill; f.Restart != 3*time.Minute && (d < 2*time.Second || d > 5*time.Second) {
				t.Fatalf("seed %d: fault %d down for %v", seed, i, d)
			}
			if i > 0 && (f.Kill < p[i-1].Restart || f.Kill-p[i-1].Kill < 5*time.Second || f.Kill-p[i-1].Kill > 10*time.Second) {
				t.Fatalf("seed %d: fault %d at %v after %v (restart %v)", seed, i, f.Kill, p[i-1].Kill, p[i-1].Restart)
			}
		}
		if q := Plan(seed, ids, 3*time.Minute, 5*time.Second, 10*time.Second, 2*time.Second, 5*time.Second); len(q) != len(p) || q[len(q)-1] != p[len(p)-1] {
			t.Fatalf("seed %d: two plans differ", seed)
		}
	}
}
