package paxi

import (
	"math"
	"testing"
)

func TestBallotOrder(t *testing.T) {
	a := NewBallot(1, "1.2")
	b := NewBallot(1, "1.3")
	c := NewBallot(2, "1.1")
	if !(a < b && b < c) {
		t.Fatalf("ballots out of order: %v %v %v", a, b, c)
	}
	if a.N() != 1 || a.ID() != "1.2" {
		t.Fatalf("ballot fields: N=%d ID=%s", a.N(), a.ID())
	}
	if n := c.Next("1.3"); n.N() != 3 || n.ID() != "1.3" || n <= c {
		t.Fatalf("Next = %v", n)
	}
}

// OwnedBy agrees with comparing ID() for every owner and candidate.
func TestBallotOwnedBy(t *testing.T) {
	ids := []ID{"1.1", "1.2", "1.10", "2.1", "3.255", "255.3"}
	for _, owner := range ids {
		b := NewBallot(7, owner)
		for _, id := range ids {
			if b.OwnedBy(id) != (b.ID() == id) {
				t.Fatalf("NewBallot(7, %s).OwnedBy(%s) = %v, ID() = %s", owner, id, b.OwnedBy(id), b.ID())
			}
		}
	}
	if allocs := testing.AllocsPerRun(100, func() { NewBallot(3, "1.2").OwnedBy("1.2") }); allocs != 0 {
		t.Fatalf("OwnedBy allocates %v times", allocs)
	}
}

func TestTimerFiresOnceAfterTicks(t *testing.T) {
	var tm Timer
	if tm.Tick() {
		t.Fatal("a stopped timer fired")
	}
	tm.Reset(3)
	fired := 0
	for i := 0; i < 10; i++ {
		if tm.Tick() {
			fired++
			if i != 2 {
				t.Fatalf("fired on tick %d, want 2", i)
			}
		}
	}
	if fired != 1 {
		t.Fatalf("fired %d times", fired)
	}
	tm.Restart()
	if !tm.Running() {
		t.Fatal("Restart did not re-arm")
	}
}

func TestBallotsValid(t *testing.T) {
	v := NewBallots([]ID{"1.1", "1.2", "2.1"})
	for _, tc := range []struct {
		b    Ballot
		want bool
	}{
		{NewBallot(0, "1.1"), true},
		{NewBallot(7, "2.1"), true},
		{NewBallot(math.MaxUint32-1, "1.2"), true},
		{NewBallot(math.MaxUint32, "1.2"), false}, // no successor
		{NewBallot(3, "3.1"), false},              // not a peer
		{1<<48 | NewBallot(0, "1.1"), false},      // number past 32 bits
	} {
		if got := v.Valid(tc.b); got != tc.want {
			t.Errorf("Valid(%#x) = %v, want %v", uint64(tc.b), got, tc.want)
		}
	}
}
