package paxi

import "testing"

func TestRTTFollowsSamples(t *testing.T) {
	var e RTT
	if got := e.RTO(2, 100); got != 100 {
		t.Fatalf("RTO before any sample = %d, want the upper bound 100", got)
	}
	for range 20 {
		e.Sample(10)
	}
	if got := e.RTO(2, 100); got < 13 || got > 16 {
		t.Fatalf("RTO after steady 10-tick samples = %d, want a quarter and a tick above 10.5", got)
	}
	for range 100 {
		e.Sample(0)
	}
	if got := e.RTO(2, 100); got != 2 {
		t.Fatalf("RTO after sub-tick samples = %d, want the lower bound 2", got)
	}
	e.Sample(50) // a spike widens the variance at once
	if got := e.RTO(2, 100); got < 20 {
		t.Fatalf("RTO right after a 50-tick sample = %d, want well above the mean", got)
	}
}

func TestQuorumRTO(t *testing.T) {
	rtts := make([]RTT, 5)
	for p, ticks := range []int64{0, 3, 30, 60, 90} {
		for range 20 {
			rtts[p].Sample(ticks)
		}
	}
	// Replica 0 needs 2 replies of 4 peers: the second quickest, 30 ticks.
	if got := QuorumRTO(rtts, 0, 2, 1, 1000); got < 38 || got > 42 {
		t.Fatalf("QuorumRTO = %d, want the second quickest peer's, about 40", got)
	}
	if got := QuorumRTO(rtts, 0, 5, 1, 1000); got != 1000 {
		t.Fatalf("QuorumRTO for more replies than peers = %d, want the upper bound", got)
	}
}

func TestRoundTripsBoundsAndQuorum(t *testing.T) {
	rt := NewRoundTrips(0, 3, 2, 100)
	if got := rt.Quorum(1); got != 100 {
		t.Fatalf("before any sample: %d, want the maximum 100", got)
	}
	for i := 0; i < 20; i++ {
		rt.Sample(1, 0) // a LAN peer: well under a tick
		rt.Sample(2, 40)
	}
	if got := rt.RTO(1); got != 2 {
		t.Fatalf("near peer: %d, want the floor 2", got)
	}
	if got := rt.Quorum(1); got != 2 {
		t.Fatalf("one reply: %d, want the near peer's 2", got)
	}
	if got := rt.Quorum(2); got <= 40 || got >= 100 {
		t.Fatalf("two replies: %d, want the far peer's, above 40 and below 100", got)
	}
	if got := NewRoundTrips(0, 3, 200, 100).Min; got != 100 {
		t.Fatalf("a floor above the maximum: %d, want it cut to 100", got)
	}
}
