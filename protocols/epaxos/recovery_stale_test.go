package epaxos

import (
	"math/rand"
	"testing"

	"github.com/agora-consensus/agora/paxi"
)

// Found in an independent review of the recovery: stale PrepareReplies for a
// lower ballot b, arriving after this replica voted
// (PreAccept then Accept) at a higher ballot b', but before the next tick.
func TestRecoveryStaleRoundDoesNotOverwriteAHigherVote(t *testing.T) {
	peers := ids(5)
	r, err := New(paxi.Env{ID: peers[1], Peers: peers, Rand: rand.New(rand.NewSource(1))})
	if err != nil {
		t.Fatal(err)
	}
	r.Ready()
	nd := []int64{-1, -1, -1, -1, -1}
	c := put(1, 1, "x")
	init := paxi.NewBallot(0, peers[0])
	r.Step(peers[0], &PreAccept{Ballot: init, Row: 0, Inst: 0, Seq: 0, Deps: nd, Cmds: []paxi.Command{c}})
	r.Ready()
	r.startRecovery(0, 0)
	b := r.rows.get(0, 0).bal
	r.Ready()
	bp := paxi.NewBallot(1, peers[3])
	if !(bp > b) {
		bp = paxi.NewBallot(2, peers[3])
	}
	// Z (1.4) recovers at b' > b: phase 1 with a no-op, then Accept.
	r.Step(peers[3], &PreAccept{Ballot: bp, Row: 0, Inst: 0, Seq: 0, Deps: nd, Noop: true})
	r.Ready()
	r.Step(peers[3], &Accept{Ballot: bp, Row: 0, Inst: 0, Seq: 0, Deps: nd, HasCmds: true, Noop: true})
	rd := r.Ready()
	in := r.rows.get(0, 0)
	t.Logf("after Accept(b'=%v): status=%v vbal=%v bal=%v noop=%v msgs=%d", bp, in.status, in.vbal, in.bal, in.noop, len(rd.Messages))
	// Delayed OK replies to the Prepare at b, from R (owner) and Y.
	r.Step(peers[0], &PrepareReply{Ballot: b, Row: 0, Inst: 0, OK: true, Status: PreAccepted, VBal: init, Seq: 0, Deps: nd, Unchanged: true, HasCmds: true, Cmds: []paxi.Command{c}})
	r.Step(peers[2], &PrepareReply{Ballot: b, Row: 0, Inst: 0, OK: true, Status: None})
	rd = r.Ready()
	in = r.rows.get(0, 0)
	t.Logf("after stale replies at b=%v: status=%v vbal=%v bal=%v noop=%v", b, in.status, in.vbal, in.bal, in.noop)
	for _, p := range rd.Persist {
		t.Logf("persisted %T %+v", p, p)
	}
	for _, e := range rd.Messages {
		t.Logf("sent %T %+v", e.Msg, e.Msg)
	}
	if in.vbal < bp || in.status != Accepted || !in.noop {
		t.Fatalf("vote at b'=%v (Accepted no-op) replaced by a vote at lower ballot %v: status=%v noop=%v", bp, in.vbal, in.status, in.noop)
	}
}

// Reviewer follow-up: a vote at a higher ballot ends this replica's own
// Prepare round below it at once (overtaken calls dropPrepares), rather
// than when the next reply happens to arrive.
func TestRecoveryRoundEndsWhenOvertakenByAVote(t *testing.T) {
	peers := ids(5)
	r, err := New(paxi.Env{ID: peers[1], Peers: peers, Rand: rand.New(rand.NewSource(1))})
	if err != nil {
		t.Fatal(err)
	}
	r.Ready()
	nd := []int64{-1, -1, -1, -1, -1}
	r.Step(peers[0], &PreAccept{Ballot: paxi.NewBallot(0, peers[0]), Row: 0, Inst: 0, Seq: 0, Deps: nd, Cmds: []paxi.Command{put(1, 1, "x")}})
	r.Ready()
	r.startRecovery(0, 0)
	b := r.rows.get(0, 0).bal
	r.Ready()
	if !r.recovering(instKey{0, 0}) {
		t.Fatal("no recovery round started")
	}
	bp := paxi.NewBallot(b.N()+1, peers[3])
	r.Step(peers[3], &PreAccept{Ballot: bp, Row: 0, Inst: 0, Seq: 0, Deps: nd, Noop: true})
	r.Ready()
	if r.recovering(instKey{0, 0}) {
		t.Fatalf("round at %v still active after voting at %v", b, bp)
	}
	if r.rec.stats.Preempted != 1 {
		t.Fatalf("Preempted = %d, want 1", r.rec.stats.Preempted)
	}
}
