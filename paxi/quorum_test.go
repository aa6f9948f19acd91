package paxi

import "testing"

func TestFastQuorumSizes(t *testing.T) {
	cases := []struct{ n, optimized, basic, majority int }{
		{3, 2, 2, 2},
		{5, 3, 4, 3},
		{7, 5, 6, 4},
		{9, 6, 8, 5},
	}
	for _, c := range cases {
		if got := FastQuorumSize(c.n, true); got != c.optimized {
			t.Errorf("optimized fast quorum for N=%d = %d, want %d", c.n, got, c.optimized)
		}
		if got := FastQuorumSize(c.n, false); got != c.basic {
			t.Errorf("basic fast quorum for N=%d = %d, want %d", c.n, got, c.basic)
		}
		if got := Majority(c.n); got != c.majority {
			t.Errorf("majority for N=%d = %d, want %d", c.n, got, c.majority)
		}
	}
}

func TestVotesCountEachSenderOnce(t *testing.T) {
	v := NewVotes(2)
	if !v.Add("1.1") || v.Add("1.1") || v.Reached() {
		t.Fatal("a duplicate vote was counted")
	}
	v.Add("1.2")
	if !v.Reached() || v.Count() != 2 {
		t.Fatalf("two distinct voters: Reached=%v Count=%d", v.Reached(), v.Count())
	}
}

func TestMajorityQuorumIgnoresStrangersAndDuplicates(t *testing.T) {
	q := MajorityQuorum{Peers: []ID{"1.1", "1.2", "1.3"}}
	if q.Reached([]ID{"1.1", "1.1", "9.9"}) {
		t.Fatal("one member plus a duplicate and a stranger made a majority")
	}
	if !q.Reached([]ID{"1.1", "1.3"}) {
		t.Fatal("two of three is a majority")
	}
}

func TestGridQuorumsIntersect(t *testing.T) {
	peers := []ID{"1.1", "1.2", "2.1", "2.2", "3.1", "3.2"}
	q1, err := GridPhase1(peers)
	if err != nil {
		t.Fatal(err)
	}
	q2, _ := GridPhase2(peers)
	// Enumerate every subset: any phase-1 quorum must meet any phase-2 quorum.
	var subsets [][]ID
	for mask := 0; mask < 1<<len(peers); mask++ {
		var s []ID
		for i, p := range peers {
			if mask&(1<<i) != 0 {
				s = append(s, p)
			}
		}
		subsets = append(subsets, s)
	}
	for _, a := range subsets {
		if !q1.Reached(a) {
			continue
		}
		for _, b := range subsets {
			if q2.Reached(b) && !intersects(a, b) {
				t.Fatalf("phase-1 quorum %v and phase-2 quorum %v do not intersect", a, b)
			}
		}
	}
	if _, err := GridPhase1([]ID{"1.1", "1.2", "2.1"}); err == nil {
		t.Fatal("uneven zones accepted for a grid")
	}
}

func intersects(a, b []ID) bool {
	for _, x := range a {
		if IndexOf(b, x) >= 0 {
			return true
		}
	}
	return false
}
