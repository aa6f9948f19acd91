package epaxos

import (
	"math/rand"
	"slices"
	"testing"

	"github.com/agora-consensus/agora/paxi"
)

// Unit tests per phase: one replica (1.2 of three) is driven directly with
// the messages a leader would send, and its Ready is inspected. The
// cluster tests cover the phases working together.

// acceptor is replica 1.2 of a three-replica cluster, alone.
func acceptor(t *testing.T) *Replica {
	t.Helper()
	r, err := New(paxi.Env{ID: "1.2", Peers: ids(3), Rand: rand.New(rand.NewSource(1))})
	if err != nil {
		t.Fatal(err)
	}
	r.Ready()
	return r
}

func noDeps() []int64 { return []int64{-1, -1, -1} }

// only returns the one message of type T in rd, failing otherwise.
func only[T paxi.Message](t *testing.T, msgs []paxi.Envelope) T {
	t.Helper()
	var found []T
	for _, e := range msgs {
		if m, ok := e.Msg.(T); ok {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want exactly one %T among %d messages, got %d", *new(T), len(msgs), len(found))
	}
	return found[0]
}

// preAccept delivers a PreAccept from the leader of row with ballot 0 and
// returns the acceptor's Ready.
func preAccept(r *Replica, row int32, inst int64, seq int64, deps []int64, cmds ...paxi.Command) paxi.Ready {
	leader := ids(3)[row]
	r.Step(leader, &PreAccept{Ballot: paxi.NewBallot(0, leader), Row: row, Inst: inst, Seq: seq, Deps: deps, Cmds: cmds})
	return r.Ready()
}

func TestPreAcceptWithoutInterferenceKeepsTheLeadersAttributes(t *testing.T) {
	r := acceptor(t)
	rd := preAccept(r, 0, 0, 0, noDeps(), put(1, 1, "x"))
	rep := only[*PreAcceptReply](t, rd.Messages)
	if !rep.OK || !rep.Unchanged || rep.Seq != 0 || !slices.Equal(rep.Deps, noDeps()) {
		t.Fatalf("reply %+v, want OK, unchanged, seq 0, no deps", rep)
	}
	if len(rd.Persist) != 1 {
		t.Fatalf("persisted %d records, want the vote", len(rd.Persist))
	}
	if v, ok := rd.Persist[0].(*VoteRecord); !ok || v.Accepted || !v.HasCmds {
		t.Fatalf("persisted %+v, want a pre-accept vote with its commands", rd.Persist[0])
	}
}

func TestPreAcceptAddsTheInterferingInstanceAndRaisesSeq(t *testing.T) {
	r := acceptor(t)
	preAccept(r, 2, 0, 4, noDeps(), put(3, 1, "x")) // seq 4 from the third replica's row
	rd := preAccept(r, 0, 0, 0, noDeps(), put(1, 1, "x"))
	rep := only[*PreAcceptReply](t, rd.Messages)
	if !rep.OK || rep.Unchanged {
		t.Fatalf("reply %+v, want OK and changed attributes", rep)
	}
	if rep.Seq != 5 || !slices.Equal(rep.Deps, []int64{-1, -1, 0}) {
		t.Fatalf("seq %d deps %v, want seq 5 (one more than the interfering 4) and deps [-1 -1 0]", rep.Seq, rep.Deps)
	}
}

func TestPreAcceptReadsDoNotInterfereWithReads(t *testing.T) {
	r := acceptor(t)
	preAccept(r, 2, 0, 1, noDeps(), get(3, 1, "x"))
	rep := only[*PreAcceptReply](t, preAccept(r, 0, 0, 0, noDeps(), get(1, 1, "x")).Messages)
	if !rep.Unchanged || !slices.Equal(rep.Deps, noDeps()) {
		t.Fatalf("a read after a read: reply %+v, want unchanged", rep)
	}
	// A write after both reads depends on each.
	rep = only[*PreAcceptReply](t, preAccept(r, 0, 1, 0, noDeps(), put(1, 2, "x")).Messages)
	if rep.Unchanged || !slices.Equal(rep.Deps, []int64{0, -1, 0}) {
		t.Fatalf("a write after two reads: deps %v, want [0 -1 0]", rep.Deps)
	}
}

func TestPreAcceptOfOtherKeysDoesNotInterfere(t *testing.T) {
	r := acceptor(t)
	preAccept(r, 2, 0, 7, noDeps(), put(3, 1, "y"))
	rep := only[*PreAcceptReply](t, preAccept(r, 0, 0, 0, noDeps(), put(1, 1, "x")).Messages)
	if !rep.Unchanged || rep.Seq != 0 {
		t.Fatalf("reply %+v, want unchanged: different keys commute", rep)
	}
}

func TestStaleBallotIsRefusedWithTheHigherOne(t *testing.T) {
	r := acceptor(t)
	high := paxi.NewBallot(2, "1.3")
	r.Step("1.3", &Accept{Ballot: high, Row: 0, Inst: 0, Seq: 1, Deps: noDeps(), HasCmds: true, Cmds: []paxi.Command{put(1, 1, "x")}})
	if rep := only[*AcceptReply](t, r.Ready().Messages); !rep.OK {
		t.Fatalf("Accept in ballot %v refused: %+v", high, rep)
	}
	rd := preAccept(r, 0, 0, 0, noDeps(), put(1, 1, "x"))
	rep := only[*PreAcceptReply](t, rd.Messages)
	if rep.OK || rep.Ballot != high {
		t.Fatalf("PreAccept in ballot 0 after accepting in %v: reply %+v, want a refusal naming %v", high, rep, high)
	}
	if len(rd.Persist) != 0 {
		t.Fatalf("a refused PreAccept persisted %d records", len(rd.Persist))
	}
}

func TestAcceptPersistsTheVoteBeforeReplying(t *testing.T) {
	r := acceptor(t)
	b := paxi.NewBallot(0, "1.1")
	r.Step("1.1", &Accept{Ballot: b, Row: 0, Inst: 3, Seq: 2, Deps: []int64{1, -1, -1}, HasCmds: true, Cmds: []paxi.Command{put(1, 1, "x")}})
	rd := r.Ready()
	rep := only[*AcceptReply](t, rd.Messages)
	if !rep.OK || rep.Inst != 3 {
		t.Fatalf("reply %+v, want OK for instance 3", rep)
	}
	if len(rd.Persist) != 1 {
		t.Fatalf("persisted %d records, want the accepted vote", len(rd.Persist))
	}
	v, ok := rd.Persist[0].(*VoteRecord)
	if !ok || !v.Accepted || v.Seq != 2 || !slices.Equal(v.Deps, []int64{1, -1, -1}) {
		t.Fatalf("persisted %+v, want the accepted attributes", rd.Persist[0])
	}
	// The same Accept again (a retransmission) is answered without a second vote.
	r.Step("1.1", &Accept{Ballot: b, Row: 0, Inst: 3, Seq: 2, Deps: []int64{1, -1, -1}, HasCmds: true, Cmds: []paxi.Command{put(1, 1, "x")}})
	rd = r.Ready()
	if rep := only[*AcceptReply](t, rd.Messages); !rep.OK || len(rd.Persist) != 0 {
		t.Fatalf("retransmitted Accept: reply %+v, %d records persisted; want OK and none", rep, len(rd.Persist))
	}
}

func TestCommitExecutesOnlyOnceItsDependencyIsCommitted(t *testing.T) {
	r := acceptor(t)
	second := put(3, 1, "x")
	r.Step("1.3", &Commit{Row: 2, Inst: 0, Seq: 2, Deps: []int64{0, -1, -1}, HasCmds: true, Cmds: []paxi.Command{second}})
	rd := r.Ready()
	if len(rd.Execute) != 0 {
		t.Fatalf("executed %v before its dependency (1.1, 0) was committed", rd.Execute)
	}
	if len(rd.Persist) != 1 {
		t.Fatalf("persisted %d records, want the commit", len(rd.Persist))
	}
	if _, ok := rd.Persist[0].(*CommitRecord); !ok {
		t.Fatalf("persisted %T, want *CommitRecord", rd.Persist[0])
	}
	first := put(1, 1, "x")
	r.Step("1.1", &Commit{Row: 0, Inst: 0, Seq: 1, Deps: noDeps(), HasCmds: true, Cmds: []paxi.Command{first}})
	rd = r.Ready()
	if !slices.Equal(rd.Execute, []paxi.Command{first, second}) {
		t.Fatalf("executed %v, want the dependency then the dependent", rd.Execute)
	}
	// A repeated Commit changes nothing and executes nothing twice.
	r.Step("1.1", &Commit{Row: 0, Inst: 0, Seq: 1, Deps: noDeps(), HasCmds: true, Cmds: []paxi.Command{first}})
	if rd = r.Ready(); len(rd.Execute) != 0 || len(rd.Persist) != 0 {
		t.Fatalf("a repeated Commit executed %v and persisted %d records", rd.Execute, len(rd.Persist))
	}
}

func TestCycleExecutesBySeqThenReplica(t *testing.T) {
	r := acceptor(t)
	a, b := put(1, 1, "x"), put(3, 1, "x")
	// Each depends on the other; b has the lower seq, so it runs first.
	r.Step("1.1", &Commit{Row: 0, Inst: 0, Seq: 5, Deps: []int64{-1, -1, 0}, HasCmds: true, Cmds: []paxi.Command{a}})
	r.Step("1.3", &Commit{Row: 2, Inst: 0, Seq: 4, Deps: []int64{0, -1, -1}, HasCmds: true, Cmds: []paxi.Command{b}})
	if rd := r.Ready(); !slices.Equal(rd.Execute, []paxi.Command{b, a}) {
		t.Fatalf("executed %v, want %v then %v (lower seq first)", rd.Execute, b, a)
	}
}
