package slotpaxos

import (
	"slices"
	"strings"
	"testing"

	"github.com/agora-consensus/agora/paxi"
)

type entry struct {
	Slot
	extra int
}

func newLog() Log[entry] { return NewLog(0, 3, 2, 10, func(e *entry) *Slot { return &e.Slot }) }

func put(v string) []paxi.Command { return []paxi.Command{{Op: paxi.Put, Key: "k", Value: v}} }

// The learner's rule: a commit of ballot b makes a vote chosen only if the
// vote is at b.
func TestLearnNeedsTheVoteOfTheCommitsBallot(t *testing.T) {
	b1, b2 := paxi.NewBallot(1, "1.1"), paxi.NewBallot(2, "1.2")
	var s Slot
	if s.Learn(b1) {
		t.Fatal("a slot with no vote learned chosen")
	}
	if !s.Accept(b1, Value{Cmds: put("v")}) || s.Accept(b1, Value{Cmds: put("v")}) {
		t.Fatal("Accept reports a new vote only once per ballot")
	}
	if s.Learn(b2) {
		t.Fatalf("a vote at %s taken as chosen on a commit of %s", b1, b2)
	}
	if !s.Learn(b1) || !s.Committed {
		t.Fatal("a vote at the commit's ballot was not taken as chosen")
	}
	var l Slot
	l.Accept(b1, Value{Cmds: put("stale")})
	l.Choose(Value{Cmds: put("chosen")})
	if !l.Committed || l.VBal != b1 || !l.Same(Value{Cmds: put("chosen")}) {
		t.Fatalf("Choose: %+v", l)
	}
}

func TestBetterPrefersChosenThenHigherBallot(t *testing.T) {
	none := Vote{Slot: -1}
	low := Vote{Slot: 1, Ballot: 1}
	high := Vote{Slot: 1, Ballot: 2}
	chosen := Vote{Slot: 1, Ballot: 0, Committed: true}
	for _, c := range []struct {
		best, v Vote
		want    bool
	}{{none, low, true}, {low, high, true}, {high, low, false}, {high, chosen, true}, {chosen, high, false}} {
		if got := Better(&c.best, &c.v); got != c.want {
			t.Errorf("Better(%+v, %+v) = %v, want %v", c.best, c.v, got, c.want)
		}
	}
}

// Advance executes the chosen prefix in order, no-ops excepted; Durable
// names each new commit point once; Forget follows the lowest peer.
func TestAdvanceDurableForget(t *testing.T) {
	l := newLog()
	l.Grow(0).Choose(Value{Cmds: put("a")})
	l.Grow(1).Choose(Value{Noop: true})
	l.Grow(3).Choose(Value{Cmds: put("d")})
	var got []string
	exec := func(c paxi.Command) { got = append(got, c.Value) }
	l.Advance(exec)
	if l.Commit != 2 || l.Executed != 2 || strings.Join(got, ",") != "a" {
		t.Fatalf("commit %d executed %d ran %v", l.Commit, l.Executed, got)
	}
	if rec, ok := l.Durable(); !ok || rec.Upto != 2 {
		t.Fatalf("Durable = %v, %v", rec, ok)
	}
	if _, ok := l.Durable(); ok {
		t.Fatal("the same commit point persisted twice")
	}
	l.NoteExecuted(1, 2)
	if l.Forget() {
		t.Fatal("forgot with replica 2 at slot 0")
	}
	l.NoteExecuted(2, 1)
	if !l.Forget() || l.Base() != 1 {
		t.Fatalf("base %d, want 1", l.Base())
	}
}

func TestRestore(t *testing.T) {
	b1, b2 := paxi.NewBallot(1, "1.1"), paxi.NewBallot(2, "1.1")
	l := newLog()
	for _, m := range []paxi.Message{
		&Vote{Slot: 0, Ballot: b2, Cmds: put("y")},
		&Vote{Slot: 0, Ballot: b1, Cmds: put("x")}, // older, after
		&Vote{Slot: 1, Ballot: b1, Cmds: put("z")},
		&Learned{Slot: 1, Cmds: put("chosen")},
		&Committed{Upto: 2},
	} {
		if err := l.Restore(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Restored(); err != nil {
		t.Fatal(err)
	}
	var got []string
	l.Advance(func(c paxi.Command) { got = append(got, c.Value) })
	if strings.Join(got, ",") != "y,chosen" {
		t.Fatalf("executed %v after restore", got)
	}
	if err := l.Restore(&paxi.SlotProgress{}); err == nil {
		t.Fatal("a foreign record was taken")
	}
	bad := newLog()
	bad.Restore(&Committed{Upto: 1})
	if err := bad.Restored(); err == nil {
		t.Fatal("a commit point over slots it does not hold was taken")
	}
}

func TestAnswerIsBoundedInBytes(t *testing.T) {
	big := Slot{Value: Value{Cmds: []paxi.Command{{Key: "k", Value: strings.Repeat("x", 1<<20)}}}, Has: true, Committed: true}
	var a Answer
	n := 0
	for a.Add(int64(n), &big) {
		n++
	}
	if want := paxi.MessageBudget >> 20; len(a.Votes) > want || len(a.Votes) < want-1 {
		t.Fatalf("%d MiB-values in one answer, want about %d", len(a.Votes), want)
	}
}

func TestSelf(t *testing.T) {
	peers := []paxi.ID{"1.1", "1.2"}
	if i, err := Self(paxi.Env{ID: "1.2", Peers: peers}); i != 1 || err != nil {
		t.Fatalf("Self = %d, %v", i, err)
	}
	if _, err := Self(paxi.Env{ID: "9.9", Peers: peers}); err == nil {
		t.Fatal("a stranger found itself")
	}
}

// Past a silent peer a replica forgets what the peers it hears from
// executed, once it can send snapshots and while it hears from a
// majority; never past a peer it hears from, nor from a minority.
func TestForgetPastSilentPeersOnlyFromAMajority(t *testing.T) {
	mk := func(n int) Log[entry] {
		l := NewLog(0, n, 2, 10, func(e *entry) *Slot { return &e.Slot })
		for s := int64(0); s < 10; s++ {
			l.Grow(s).Choose(Value{Cmds: put("v")})
		}
		l.Advance(func(paxi.Command) {})
		return l
	}
	// 3 replicas: 1 executed 8 and is heard from at tick 30; 2 executed 2
	// and was last heard at tick 0. Silent means 2*10 ticks unheard.
	at := func(l *Log[entry], now int64) { l.Report(now) }
	l := mk(3)
	l.NoteExecuted(1, 8)
	l.NoteExecuted(2, 2)
	at(&l, 30)
	l.Heard(1)
	if l.Forget(); l.Base() != 2 {
		t.Fatalf("forgot to %d before any snapshot was saved, want 2", l.Base())
	}
	l.SnapshotSaved()
	if l.Forget(); l.Base() != 8 {
		t.Fatalf("forgot to %d past silent 2, want 8 (what 1 executed)", l.Base())
	}
	l.Heard(2)
	l.NoteExecuted(1, 10)
	if l.Forget(); l.Base() != 8 {
		t.Fatalf("forgot to %d with 2 heard again, want 8", l.Base())
	}
	// 5 replicas, 3 silent: this replica hears only a minority (itself and
	// 1) and waits for everyone.
	l = mk(5)
	l.SnapshotSaved()
	l.NoteExecuted(1, 9)
	at(&l, 30)
	l.Heard(1)
	if l.Forget(); l.Base() != 0 {
		t.Fatalf("forgot to %d hearing from 2 of 5", l.Base())
	}
	l.Heard(2)
	l.NoteExecuted(2, 6)
	if l.Forget(); l.Base() != 6 {
		t.Fatalf("forgot to %d hearing from 3 of 5, want 6", l.Base())
	}
}

// Executions passes on what each replica executed, with the replica's own
// point; NoteExecutions takes only what moves a point forward, never this
// replica's own, and ignores a list of another configuration's length.
func TestExecutionsArePassedOn(t *testing.T) {
	l := newLog() // replica 0 of 3
	for s := int64(0); s < 10; s++ {
		l.Grow(s).Choose(Value{Cmds: put("v")})
	}
	l.Advance(func(paxi.Command) {})
	l.NoteExecuted(1, 7)
	if got := l.Executions(); !slices.Equal(got, []int64{10, 7, 0}) {
		t.Fatalf("Executions %v, want [10 7 0]", got)
	}
	l.NoteExecutions([]int64{4, 9, 5, 8}) // not of this configuration
	l.NoteExecutions([]int64{3, 6, 5})    // 1 at 6 is old news
	if got := l.Executions(); !slices.Equal(got, []int64{10, 7, 5}) {
		t.Fatalf("Executions %v after noting, want [10 7 5]", got)
	}
	if l.Forget(); l.Base() != 5 {
		t.Fatalf("forgot to %d, want 5 (what every replica executed)", l.Base())
	}
}
