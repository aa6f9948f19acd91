package epaxos

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"testing"

	"github.com/agora-consensus/agora/paxi"
)

// Tests of bounds.go: no message, whatever instance numbers it names, makes
// a replica allocate more than a little memory, loop for ever or crash, and
// a replica far behind still catches up.

// hugeInstances are instance numbers no row ever reaches.
var hugeInstances = []int64{1 << 30, 1 << 40, math.MaxInt64}

// messageBudget is the most a single message may make the replica allocate
// (with the ticks that follow it). Before bounds.go, naming instance 1<<30
// cost 120 GiB of instance chunks.
const messageBudget = 64 << 20

// badMessage is a message from a peer to replica 1.2 of three, which leads
// its instance 0 (leadingAcceptor).
type badMessage struct {
	name    string
	from    paxi.ID
	msg     paxi.Message
	refused bool // counted in RefusedAhead (Progress is read in part instead)
}

// messagesNaming builds a message of every kind that carries instance
// numbers or deps, naming instance n of a row, or depending on it.
func messagesNaming(n int64) []badMessage {
	b, own := paxi.NewBallot(0, "1.1"), paxi.NewBallot(0, "1.2")
	cmds := []paxi.Command{put(1, 1, "x")}
	far := []int64{n, n, n}
	return []badMessage{
		{"PreAccept/inst", "1.1", &PreAccept{Ballot: b, Row: 0, Inst: n, Deps: noDeps(), Cmds: cmds}, true},
		{"PreAccept/deps", "1.1", &PreAccept{Ballot: b, Row: 0, Inst: 0, Deps: far, Cmds: cmds}, true},
		{"PreAcceptReply/inst", "1.1", &PreAcceptReply{Ballot: own, Row: 1, Inst: n, OK: true, Deps: noDeps()}, true},
		{"PreAcceptReply/deps", "1.1", &PreAcceptReply{Ballot: own, Row: 1, Inst: 0, OK: true, Deps: far}, true},
		{"Accept/inst", "1.1", &Accept{Ballot: b, Row: 0, Inst: n, Deps: noDeps(), HasCmds: true, Cmds: cmds}, true},
		{"Accept/deps", "1.1", &Accept{Ballot: b, Row: 0, Inst: 0, Deps: far, HasCmds: true, Cmds: cmds}, true},
		{"AcceptReply/inst", "1.1", &AcceptReply{Ballot: own, Row: 1, Inst: n, OK: true}, true},
		{"Commit/inst", "1.1", &Commit{Row: 0, Inst: n, Deps: noDeps(), HasCmds: true, Cmds: cmds}, true},
		{"Commit/deps", "1.1", &Commit{Row: 0, Inst: 0, Deps: far, HasCmds: true, Cmds: cmds}, true},
		{"Progress", "1.1", &Progress{UpTo: far}, false},
		{"Progress/ask", "1.3", &Progress{UpTo: far, Ask: true}, false},
		{"CommitRequest/from", "1.1", &CommitRequest{Row: 0, From: n, To: n}, true},
		{"CommitRequest/to", "1.1", &CommitRequest{Row: 0, From: 0, To: n}, false},
		{"Commits/inst", "1.1", &Commits{Row: 0, Entries: []Commit{{Row: 0, Inst: n, Deps: noDeps(), HasCmds: true, Cmds: cmds}}}, true},
		{"Commits/deps", "1.1", &Commits{Row: 0, Entries: []Commit{{Row: 0, Inst: 0, Deps: far, HasCmds: true, Cmds: cmds}}}, true},
	}
}

// edgeMessages name instances just inside the window, which are accepted,
// and a Commits answer spread over the whole window, which no request of
// ours asks for.
func edgeMessages() []badMessage {
	b := paxi.NewBallot(0, "1.1")
	cmds := []paxi.Command{put(1, 1, "x")}
	edge := int64(aheadWindow - 1)
	var spread []Commit
	for i := int64(0); i < aheadWindow; i += 1 << instChunkBits {
		spread = append(spread, Commit{Row: 0, Inst: i, Deps: noDeps(), HasCmds: true, Cmds: cmds})
	}
	return []badMessage{
		{"PreAccept/edge", "1.1", &PreAccept{Ballot: b, Row: 0, Inst: edge, Deps: []int64{edge, -1, edge}, Cmds: cmds}, false},
		{"Commit/edge", "1.1", &Commit{Row: 0, Inst: edge, Deps: []int64{edge, edge, edge}, HasCmds: true, Cmds: cmds}, false},
		{"Commits/spread", "1.1", &Commits{Row: 0, Entries: spread}, true},
	}
}

// leadingAcceptor is acceptor 1.2 leading its own instance 0, so that
// replies to it have somewhere to go.
func leadingAcceptor(t *testing.T) *Replica {
	t.Helper()
	r := acceptor(t)
	r.Propose(paxi.Request{Command: put(2, 1, "y")})
	only[*PreAccept](t, r.Ready().Messages)
	return r
}

// allocatedBy returns the bytes allocated while f ran, collected or not.
func allocatedBy(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestHugeInstanceNumbersCostLittleMemory(t *testing.T) {
	var cases []badMessage
	for _, n := range hugeInstances {
		for _, m := range messagesNaming(n) {
			m.name = fmt.Sprintf("%s/%d", m.name, n)
			cases = append(cases, m)
		}
	}
	cases = append(cases, edgeMessages()...)
	for _, bad := range cases {
		t.Run(bad.name, func(t *testing.T) {
			r := leadingAcceptor(t)
			// Two progress rounds follow, so the reports, requests,
			// resends and forgetting that use the numbers run too.
			ticks := 2*r.params.RetryTicks + 1
			used := allocatedBy(func() {
				r.Step(bad.from, bad.msg)
				r.Ready()
				for range ticks {
					r.Tick()
					r.Ready()
				}
			})
			t.Logf("%d KiB allocated", used>>10)
			if used > messageBudget {
				t.Fatalf("one %s allocated %d MiB, want at most %d", paxi.MessageName(bad.msg), used>>20, messageBudget>>20)
			}
			if got := r.Counters().RefusedAhead; (got > 0) != bad.refused {
				t.Fatalf("RefusedAhead = %d, want refused=%v", got, bad.refused)
			}
			requireStillWorks(t, r)
		})
	}
}

// requireStillWorks checks that acceptor r still votes, commits and
// executes: a fresh write of row 2 is pre-accepted, then committed, and
// executes.
func requireStillWorks(t *testing.T, r *Replica) {
	t.Helper()
	cmd := put(3, 7, "still-works")
	rep := only[*PreAcceptReply](t, preAccept(r, 2, 0, 0, noDeps(), cmd).Messages)
	if !rep.OK {
		t.Fatalf("a fresh PreAccept was refused: %+v", rep)
	}
	r.Step("1.3", &Commit{Row: 2, Inst: 0, Seq: rep.Seq, Deps: rep.Deps, HasCmds: true, Cmds: []paxi.Command{cmd}})
	if rd := r.Ready(); !slices.Equal(rd.Execute, []paxi.Command{cmd}) {
		t.Fatalf("a fresh Commit executed %v, want %v", rd.Execute, cmd)
	}
}

// TestHugeInstanceNumbersLeaveTheClusterWorking delivers every message of
// TestHugeInstanceNumbersCostLittleMemory to two replicas of a cluster and
// then runs load through all three.
func TestHugeInstanceNumbersLeaveTheClusterWorking(t *testing.T) {
	c := newCluster(t, 3, "")
	for _, n := range hugeInstances {
		for _, bad := range messagesNaming(n) {
			for _, to := range []paxi.ID{"1.2", "1.3"} {
				if bad.from != to {
					c.queue = append(c.queue, paxi.Envelope{From: bad.from, To: to, Msg: bad.msg})
				}
			}
		}
	}
	c.settle()
	all := c.proposeInTurn(0, 300, []int{0, 1, 2}, 5)
	c.tick(3 * c.reps[0].params.RetryTicks)
	c.requireExecutedEverywhere([]int{0, 1, 2}, all)
	c.requireSameInterferingOrder([]int{0, 1, 2})
	if c.reps[1].Counters().RefusedAhead == 0 {
		t.Fatal("replica 1.2 refused nothing")
	}
}

// TestMessagesAboutOwnInstancesNotStartedAreIgnored: only a replica starts
// the instances of its row, so a vote or commit a peer asks for on one it
// has not started is bogus. Taking it would make the replica find the
// number taken when it starts that instance, and panic.
func TestMessagesAboutOwnInstancesNotStartedAreIgnored(t *testing.T) {
	b := paxi.NewBallot(0, "1.1")
	cmds := []paxi.Command{put(1, 1, "x")}
	for _, m := range []paxi.Message{
		&PreAccept{Ballot: b, Row: 1, Inst: 0, Deps: noDeps(), Cmds: cmds},
		&Accept{Ballot: b, Row: 1, Inst: 0, Deps: noDeps(), HasCmds: true, Cmds: cmds},
		&Commit{Row: 1, Inst: 0, Deps: noDeps(), HasCmds: true, Cmds: cmds},
	} {
		t.Run(paxi.MessageName(m), func(t *testing.T) {
			r := acceptor(t)
			r.Step("1.1", m)
			if rd := r.Ready(); len(rd.Messages)+len(rd.Persist)+len(rd.Execute) != 0 {
				t.Fatalf("a message about an own instance not started produced %+v", rd)
			}
			if got := r.Counters().RefusedAhead; got != 1 {
				t.Fatalf("RefusedAhead = %d, want 1", got)
			}
			own := put(2, 1, "y")
			r.Propose(paxi.Request{Command: own})
			if pa := only[*PreAccept](t, r.Ready().Messages); pa.Row != 1 || pa.Inst != 0 || !slices.Equal(pa.Cmds, []paxi.Command{own}) {
				t.Fatalf("the replica's first instance: %+v, want (1,0) with its own command", pa)
			}
		})
	}
}

// TestReplicaFarBehindCatchesUp restarts a replica that missed every
// instance of a run, while the others keep going, and requires it to catch
// up and then lead instances again: with the real window, which a gap of
// this size is well inside (nothing may be refused), and with a window
// shrunk below the gap, where the live traffic is refused and catching up
// goes window by window. Row 0 runs ten times as many instances as row 2
// over the same keys, so row 2's instances depend on instances of row 0
// far past the restarted replica's prefix of it.
func TestReplicaFarBehindCatchesUp(t *testing.T) {
	for _, tc := range []struct {
		name  string
		ahead int64
	}{
		{"within the window", aheadWindow},
		{"beyond the window", 300},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t, 3, "")
			c.codec = false
			setAhead := func() {
				for _, r := range c.reps {
					r.ahead = tc.ahead
				}
			}
			setAhead()
			c.crash(1)
			var all []paxi.Command
			for k := range 1500 {
				i := 0
				if k%11 == 0 {
					i = 2
				}
				cmd := put(uint64(i+1), uint64(k), fmt.Sprintf("k%d", k%5))
				all = append(all, cmd)
				c.propose(i, cmd)
				if k%10 == 0 {
					c.tick(1)
				}
			}
			c.restart(1)
			setAhead()
			all = append(all, c.proposeInTurn(1500, 1800, []int{0, 2}, 5)...)
			all = append(all, c.proposeInTurn(1800, 2100, []int{0, 1, 2}, 5)...)
			retry := c.reps[1].params.RetryTicks
			for k := 0; k < 20*retry && len(c.executed[1]) < len(all); k++ {
				c.tick(1)
			}
			c.settle()
			c.requireExecutedEverywhere([]int{0, 1, 2}, all)
			c.requireSameInterferingOrder([]int{0, 1, 2})
			refused := c.reps[1].Counters().RefusedAhead
			switch {
			case tc.ahead == aheadWindow && refused != 0:
				t.Fatalf("the restarted replica refused %d messages inside the window", refused)
			case tc.ahead < aheadWindow && refused == 0:
				t.Fatal("the restarted replica refused nothing: the gap did not exceed the window")
			}
		})
	}
}
