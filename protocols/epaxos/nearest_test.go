package epaxos

import (
	"errors"
	"math/rand"
	"slices"
	"testing"
	"time"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/sim"
)

// TestThriftyRoundsAskTheNearestPeers gives replica 1.1 of five an order in
// which its ring successors come last: the PreAccept must go to the two
// nearest, their two matching replies must commit on the fast path, and the
// Accept of a slow path must go to the nearest that answered.
func TestThriftyRoundsAskTheNearestPeers(t *testing.T) {
	peers := ids(5)
	nearest := []paxi.ID{peers[4], peers[3], peers[1], peers[2]}
	r, err := New(paxi.Env{ID: peers[0], Peers: peers, Rand: rand.New(rand.NewSource(1)), Nearest: nearest})
	if err != nil {
		t.Fatal(err)
	}
	r.Propose(paxi.Request{Command: put(1, 1, "x")})
	var to []paxi.ID // in peer order, as sendTo queues them
	for _, e := range r.Ready().Messages {
		if _, ok := e.Msg.(*PreAccept); ok {
			to = append(to, e.To)
		}
	}
	if want := []paxi.ID{peers[3], peers[4]}; !slices.Equal(to, want) {
		t.Fatalf("PreAccept sent to %v, want the nearest %v", to, want)
	}
	in := r.rows.get(r.self, 0)
	for _, p := range to {
		r.Step(p, &PreAcceptReply{Ballot: in.vbal, Row: 0, Inst: 0, OK: true, Seq: in.seq, Deps: in.deps, Unchanged: true})
	}
	if st := r.Status(peers[0], 0); st != Committed && st != Executed {
		t.Fatalf("instance is %v after both nearest peers matched, want committed on the fast path", st)
	}

	// A second instance whose nearest peer disagrees goes to Accept, sent
	// to the nearest peers that answered (they hold the commands).
	r.Ready()
	r.Propose(paxi.Request{Command: put(1, 2, "x")})
	r.Ready()
	in = r.rows.get(r.self, 1)
	changed := slices.Clone(in.deps)
	changed[3] = 0
	r.Step(nearest[0], &PreAcceptReply{Ballot: in.vbal, Row: 0, Inst: 1, OK: true, Seq: in.seq + 1, Deps: changed})
	r.Step(nearest[1], &PreAcceptReply{Ballot: in.vbal, Row: 0, Inst: 1, OK: true, Seq: in.seq, Deps: in.deps, Unchanged: true})
	to = nil
	for _, e := range r.Ready().Messages {
		if _, ok := e.Msg.(*Accept); ok {
			to = append(to, e.To)
		}
	}
	if want := []paxi.ID{peers[3], peers[4]}; !slices.Equal(to, want) {
		t.Fatalf("Accept sent to %v, want %v", to, want)
	}
}

func TestNearestMustListEveryOtherReplicaOnce(t *testing.T) {
	peers := ids(3)
	for _, nearest := range [][]paxi.ID{
		{peers[1]},
		{peers[1], peers[1]},
		{peers[0], peers[1]},
		{peers[1], "9.9"},
	} {
		_, err := New(paxi.Env{ID: peers[0], Peers: peers, Rand: rand.New(rand.NewSource(1)), Nearest: nearest})
		if !errors.Is(err, ErrBadNearest) {
			t.Fatalf("Nearest %v: got %v, want ErrBadNearest", nearest, err)
		}
	}
}

// TestSimulatedWideAreaCommitsAtTheNearestQuorum checks the paper's claim
// on its five sites: without interference a command commits in the round
// trip to the farther of the two nearest peers, so CA (OR at ~20 ms, VA at
// ~60 ms) waits about 60 ms, not the ~140 ms of its ring successors VA and EU.
func TestSimulatedWideAreaCommitsAtTheNearestQuorum(t *testing.T) {
	seed := testSeed(t)
	res := runSim(t, sim.Config{
		N: 5, Seed: seed, Latency: sim.WAN(5), Duration: 3 * time.Second,
		Workload: sim.Workload{Clients: 2, Keys: 1, Conflict: 0},
	})
	for _, s := range res.Sites {
		if s.Site == "CA" && s.P50 > 80*time.Millisecond {
			t.Fatalf("CA p50 %v, want the ~60 ms round trip to its nearest fast quorum", s.P50)
		}
	}
}
