package evaluation

import (
	"testing"
	"time"

	"github.com/agora-consensus/agora/paxi/sim"
)

// square is a hand-made matrix of five zones with round trips (ms):
//
//	   1   2   3   4   5
//	1  2  10  20  30  40
//	2 10   2  50  60  70
//	3 20  50   2  80  90
//	4 30  60  80   2 100
//	5 40  70  90 100   2
//
// One-way delays are not symmetric (each direction carries a different
// share), so a formula that reads only one direction is caught.
func square() sim.Matrix {
	rtt := [5][5]int{
		{2, 10, 20, 30, 40},
		{10, 2, 50, 60, 70},
		{20, 50, 2, 80, 90},
		{30, 60, 80, 2, 100},
		{40, 70, 90, 100, 2},
	}
	m := sim.Matrix{Names: []string{"A", "B", "C", "D", "E"}, OneWay: make([][]sim.Dist, 5)}
	for i := range 5 {
		m.OneWay[i] = make([]sim.Dist, 5)
		for j := range 5 {
			// i<j carries a quarter of the round trip, j>i three quarters.
			share := time.Duration(rtt[i][j]) * time.Millisecond / 4
			if i > j {
				share *= 3
			} else if i == j {
				share *= 2
			}
			m.OneWay[i][j] = sim.Const(share)
		}
	}
	return m
}

func ms(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }

func TestOptimumOnHandMadeMatrix(t *testing.T) {
	m := square()
	for _, tc := range []struct {
		name string
		got  time.Duration
		want time.Duration
	}{
		// Optimized fast quorum of 5 is 3: the two nearest peers.
		{"epaxos optimized at 1", EPaxosFast(m, 1, true), ms(2 + 20)},
		{"epaxos optimized at 5", EPaxosFast(m, 5, true), ms(2 + 70)},
		// Basic fast quorum of 5 is 4: the three nearest peers.
		{"epaxos basic at 1", EPaxosFast(m, 1, false), ms(2 + 30)},
		{"epaxos basic at 3", EPaxosFast(m, 3, false), ms(2 + 80)},
		// Leader 1: majority 3 is its two nearest peers (20 ms).
		{"multipaxos at the leader", MultiPaxos(m, 1, 1), ms(2 + 20)},
		{"multipaxos at 4, leader 1", MultiPaxos(m, 4, 1), ms(2 + 30 + 20)},
		// Leader 2: its two nearest peers are 1 (10) and 3 (50).
		{"multipaxos at 5, leader 2", MultiPaxos(m, 5, 2), ms(2 + 70 + 50)},
		// Mencius waits on the farthest replica.
		{"mencius at 1", Mencius(m, 1), ms(2 + 40)},
		{"mencius at 4", Mencius(m, 4), ms(2 + 100)},
		// Loaded: the worst RTT(s,r) + r's majority round trip. From 1:
		// r=5 gives 40+70, r=4 30+60, r=3 20+50, r=2 10+50.
		{"mencius loaded at 1", MenciusLoaded(m, 1), ms(2 + 110)},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}

// With three zones both fast quorums are two replicas: the nearest peer.
func TestOptimumThreeZones(t *testing.T) {
	m := sim.WAN(3) // CA, VA, EU
	ca, va := 1, 2
	if got, want := EPaxosFast(m, ca, true), Local(m, ca)+RTT(m, ca, va); got != want {
		t.Fatalf("EPaxos at CA: %v, want local + CA-VA = %v", got, want)
	}
	if EPaxosFast(m, ca, false) != EPaxosFast(m, ca, true) {
		t.Fatal("basic and optimized fast quorums differ at N=3")
	}
	// Mencius at VA waits on EU (70.5 ms), farther than CA (59.9 ms).
	if got, want := Mencius(m, va), Local(m, va)+RTT(m, va, 3); got != want {
		t.Fatalf("Mencius at VA: %v, want %v", got, want)
	}
}
