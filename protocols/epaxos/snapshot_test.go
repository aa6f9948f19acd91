package epaxos

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/agora-consensus/agora/paxi"
)

// snapScene builds, at replica 1 of 3, every state a checkpoint must
// carry: forgotten prefixes in every row (with the summary of what they
// touched), instances executed and not forgotten (replica 3 is down, so
// nothing is forgotten after it went), one executed above its row's
// executed prefix, a committed one waiting to execute, a pre-accept under
// a higher promise (bal != vbal), a promise without a vote, an accept, an
// own instance in flight (resumed at restart) and an own instance whose
// commands a recoverer's no-op is replacing. It returns the checkpoint
// (round-tripped through the codec), the log position and the commands
// executed when it was taken.
func snapScene(t *testing.T) (c *cluster, ck []paxi.Message, cut int, execAtCut []paxi.Command) {
	c = newCluster(t, 3, "")
	retry := c.reps[0].params.RetryTicks
	c.proposeInTurn(0, 300, []int{0, 1, 2}, 7)
	c.tick(3 * retry) // progress rounds: every replica forgets what all executed
	c.crash(2)
	c.proposeInTurn(300, 360, []int{0, 1}, 7)
	c.tick(2 * retry) // replica 3 is suspected, and left out of the quorums

	const i = 1
	r := c.reps[i]
	k := r.rows.known(2) // replica 3's next instance
	deps := func(d2 int64) []int64 { return []int64{-1, -1, d2} }
	step := func(from int, m paxi.Message) {
		r.Step(c.ids[from], m)
		c.process(i)
	}
	// The messages come from replica 3, as its last acts before it
	// went down: as leader of its row, and as a recoverer (so that the
	// instances are nobody else's to finish, and get recovered later).
	b0 := paxi.NewBallot(0, c.ids[2])
	step(2, &PreAccept{Ballot: b0, Row: 2, Inst: k, Deps: deps(k - 1), Cmds: []paxi.Command{put(9, 1, "inj-a")}})
	step(2, &Prepare{Ballot: paxi.NewBallot(3, c.ids[2]), Row: 2, Inst: k}) // bal > vbal
	step(2, &Commit{Row: 2, Inst: k + 1, Seq: 1, Deps: deps(k - 1), HasCmds: true, Cmds: []paxi.Command{put(9, 2, "inj-b")}})
	step(2, &Prepare{Ballot: paxi.NewBallot(3, c.ids[2]), Row: 2, Inst: k + 2}) // promise only
	step(2, &Accept{Ballot: paxi.NewBallot(4, c.ids[2]), Row: 2, Inst: k + 3, Seq: 1, Deps: deps(k - 1), HasCmds: true, Cmds: []paxi.Command{put(9, 3, "inj-c")}})
	step(2, &Commit{Row: 2, Inst: k + 4, Seq: 2, Deps: deps(k), HasCmds: true, Cmds: []paxi.Command{put(9, 4, "inj-d")}})
	// This replica cut off: its own instances stay in flight.
	c.drop = func(e paxi.Envelope) bool { return e.From == c.ids[i] || e.To == c.ids[i] }
	m := r.next
	c.propose(i, put(2, 1000, "own-a"))
	c.propose(i, put(2, 1001, "own-b"))
	step(2, &Accept{Ballot: paxi.NewBallot(5, c.ids[2]), Row: 1, Inst: m, Seq: 1, Deps: []int64{-1, m - 1, -1}, HasCmds: true, Noop: true})
	c.settle()

	// The scene is what it says.
	execAbove := false
	for q := range r.rows {
		if r.rows[q].forgotten == 0 {
			t.Fatalf("scene: row %d has nothing forgotten", q)
		}
		for x := r.exec.rows[q].executedUpTo + 1; x < r.rows.known(int32(q)); x++ {
			if in := r.rows.get(int32(q), x); in != nil && in.status == Executed {
				execAbove = true
			}
		}
	}
	if r.exec.rows[0].executedUpTo < r.rows[0].forgotten+5 || !execAbove || len(r.rec.forgotten.keys) == 0 {
		t.Fatalf("scene: row 0 forgotten below %d executed up to %d, executed above the prefix %v, %d keys forgotten",
			r.rows[0].forgotten, r.exec.rows[0].executedUpTo, execAbove, len(r.rec.forgotten.keys))
	}
	want := map[[2]int64]string{
		{2, k}: "preaccepted", {2, k + 1}: "executed", {2, k + 2}: "none", {2, k + 3}: "accepted",
		{2, k + 4}: "committed", {1, m}: "accepted", {1, m + 1}: "preaccepted",
	}
	for at, st := range want {
		if in := r.rows.get(int32(at[0]), at[1]); in == nil || in.status.String() != st {
			t.Fatalf("scene: (%d,%d) is %v, want %s", at[0], at[1], in, st)
		}
	}
	if in := r.rows.get(2, k); in.bal == in.vbal || r.rows.get(2, k+2).bal == 0 || r.rec.replaced[instKey{1, m}] == nil {
		t.Fatalf("scene: (2,%d) bal %v vbal %v, promise of (2,%d) %v, replaced %v", k, in.bal, in.vbal, k+2, r.rows.get(2, k+2).bal, r.rec.replaced)
	}
	for _, rec := range r.Checkpoint() {
		ck = append(ck, c.roundTrip(rec))
	}
	return c, ck, len(c.disk[i]), slices.Clone(c.executed[i])
}

// restoreAt builds replica i of c from recs, as a host does after a
// restart, and returns it with what its first Ready executes and sends.
func restoreAt(c *cluster, i int, recs []paxi.Message) (*Replica, paxi.Ready, error) {
	r, err := New(c.env(i, recs))
	if err != nil {
		return nil, paxi.Ready{}, err
	}
	return r, r.Ready(), nil
}

// A replica restored from its checkpoint holds what the replica that took
// it held, and what a restore from its whole log holds, in everything
// a peer may ask it about or its own progress depends on; it executes none
// of what the snapshot's state machine holds, and after more traffic, from
// the checkpoint and the records after it, what the whole log executes
// beyond that.
func TestCheckpointRestoresWhatTheWholeLogDoes(t *testing.T) {
	c, ck, cut, execAtCut := snapScene(t)
	const i = 1
	full, fullRd, err := restoreAt(c, i, c.disk[i])
	if err != nil {
		t.Fatal(err)
	}
	snap, snapRd, err := restoreAt(c, i, ck)
	if err != nil {
		t.Fatal(err)
	}
	if diff := diffRestore(c.reps[i], snap, true); diff != "" {
		t.Fatalf("restored from the checkpoint, against the replica that took it:\n%s", diff)
	}
	if diff := diffRestore(full, snap, false); diff != "" {
		t.Fatalf("restored from the checkpoint, against a restore from the whole log:\n%s", diff)
	}
	if len(snapRd.Execute) != 0 {
		t.Fatalf("restored from the checkpoint it executes %d commands again", len(snapRd.Execute))
	}
	if !sameMultiset(fullRd.Execute, execAtCut) {
		t.Fatalf("the whole log executes %d commands, the replica had executed %d", len(fullRd.Execute), len(execAtCut))
	}
	if a, b := resumed(fullRd), resumed(snapRd); !slices.Equal(a, b) {
		t.Fatalf("own instances resumed from the checkpoint %v, from the whole log %v", b, a)
	}

	// More traffic, recovery of replica 3's instances included.
	c.drop = nil
	c.proposeInTurn(360, 420, []int{0, 1}, 7)
	c.tick(40 * c.reps[0].params.RetryTicks)
	tail := c.disk[i][cut:]
	recovered := 0
	for _, m := range tail {
		if cr, ok := m.(*CommitRecord); ok && cr.Row == 2 {
			recovered++
		}
	}
	if recovered < 2 {
		t.Fatalf("replica 3's instances not recovered after the checkpoint: %d commits of its row; %+v", recovered, c.reps[i].RecoveryCounters())
	}
	full, fullRd, err = restoreAt(c, i, c.disk[i])
	if err != nil {
		t.Fatal(err)
	}
	snap, snapRd, err = restoreAt(c, i, append(slices.Clip(ck), tail...))
	if err != nil {
		t.Fatal(err)
	}
	if diff := diffRestore(full, snap, false); diff != "" {
		t.Fatalf("restored from the checkpoint and the %d records after it, against a restore from the whole log:\n%s", len(tail), diff)
	}
	if want := minus(fullRd.Execute, execAtCut); !sameMultiset(snapRd.Execute, want) {
		t.Fatalf("restored from the checkpoint and the records after it, it executes %d commands, want the %d not in the snapshot", len(snapRd.Execute), len(want))
	}
}

// Each part of the checkpoint is needed: without it (or with a vote's
// promise folded into its ballot), the restored replica differs from the
// one that took it, or the restore fails.
func TestCheckpointNeedsEveryPart(t *testing.T) {
	c, ck, _, _ := snapScene(t)
	const i = 1
	without := func(keep func(paxi.Message) bool) func([]paxi.Message) []paxi.Message {
		return func(in []paxi.Message) []paxi.Message {
			var out []paxi.Message
			for _, m := range in {
				if keep(m) {
					out = append(out, m)
				}
			}
			return out
		}
	}
	is := func(name string) func(paxi.Message) bool {
		return func(m paxi.Message) bool { return paxi.MessageName(m) != name }
	}
	header := func(f func(h *SnapshotRecord)) func([]paxi.Message) []paxi.Message {
		return func(in []paxi.Message) []paxi.Message {
			h := *in[0].(*SnapshotRecord)
			f(&h)
			return append([]paxi.Message{&h}, in[1:]...)
		}
	}
	parts := map[string]func([]paxi.Message) []paxi.Message{
		"snapshot record": without(is("epaxos.SnapshotRecord")),
		"forgotten prefixes": header(func(h *SnapshotRecord) {
			h.Forgotten = make([]int64, len(h.Forgotten))
		}),
		"executed prefixes": header(func(h *SnapshotRecord) {
			h.Executed = slices.Clone(h.Executed)
			for q := range h.Executed {
				h.Executed[q] = h.Forgotten[q] - 1
			}
		}),
		"executed above the prefixes": header(func(h *SnapshotRecord) { h.ExecRows, h.ExecInsts = nil, nil }),
		"conflict index":              without(is("epaxos.IndexRecord")),
		"forgotten summary":           without(is("epaxos.ForgottenRecord")),
		"votes":                       without(is("epaxos.VoteRecord")),
		"commits":                     without(is("epaxos.CommitRecord")),
		"promises":                    without(is("epaxos.PromiseRecord")),
		"replaced commands": func(in []paxi.Message) []paxi.Message {
			// The records before the last vote on the same instance.
			var out []paxi.Message
			for k, m := range in {
				if v, ok := m.(*VoteRecord); ok && k+1 < len(in) {
					if w, ok := in[k+1].(*VoteRecord); ok && w.Row == v.Row && w.Inst == v.Inst {
						continue
					}
				}
				out = append(out, m)
			}
			return out
		},
		"promises above votes": func(in []paxi.Message) []paxi.Message {
			out := slices.Clone(in)
			for k, m := range out {
				if v, ok := m.(*VoteRecord); ok {
					w := *v
					w.Bal = w.VBal
					out[k] = &w
				}
			}
			return out
		},
	}
	for _, name := range slices.Sorted(maps.Keys(parts)) {
		recs := parts[name](ck)
		if len(recs) == len(ck) && name != "promises above votes" && !strings.HasPrefix(name, "executed") && name != "forgotten prefixes" {
			t.Fatalf("%s: nothing removed", name)
		}
		snap, rd, err := restoreAt(c, i, recs)
		if err != nil {
			t.Logf("without %s: restore fails: %v", name, err)
			continue
		}
		diff := diffRestore(c.reps[i], snap, true)
		if len(rd.Execute) > 0 {
			diff += fmt.Sprintf("executes %d commands again\n", len(rd.Execute))
		}
		if diff == "" {
			t.Fatalf("without %s the restored replica is the same", name)
		}
		t.Logf("without %s: %s", name, strings.SplitN(diff, "\n", 2)[0])
	}
}

// diffRestore lists how b, a replica restored from a checkpoint, differs
// from a: the replica that took it (exact) or one restored from the whole
// log (!exact), which holds the instances b forgot (compared through the
// summary they make) and a conflict index without what live traffic added
// to it beyond the instances' last attributes (b's may hold more).
func diffRestore(a, b *Replica, exact bool) string {
	var out strings.Builder
	bad := func(f string, args ...any) { fmt.Fprintf(&out, f+"\n", args...) }
	for q := range a.rows {
		row := int32(q)
		fa, fb := a.rows[q].forgotten, b.rows[q].forgotten
		if exact && fa != fb || !exact && fa > fb {
			bad("row %d: forgotten below %d, want %d", q, fb, fa)
		}
		if x, y := a.exec.rows[q].executedUpTo, b.exec.rows[q].executedUpTo; x != y {
			bad("row %d: executed up to %d, want %d", q, y, x)
		}
		if x, y := a.committedUpTo[q], b.committedUpTo[q]; x != y {
			bad("row %d: committed up to %d, want %d", q, y, x)
		}
		for x := fb; x < max(a.rows.known(row), b.rows.known(row)); x++ {
			ia, ib := a.rows.get(row, x), b.rows.get(row, x)
			if ia == nil {
				ia = &instance{}
			}
			if ib == nil {
				ib = &instance{}
			}
			if ia.status != ib.status || ia.status == None && ia.bal != ib.bal {
				bad("(%d,%d): %v bal %v, want %v bal %v", q, x, ib.status, ib.bal, ia.status, ia.bal)
				continue
			}
			if ia.status == None {
				continue
			}
			if ia.seq != ib.seq || !slices.Equal(ia.deps, ib.deps) || ia.hasCmds != ib.hasCmds || ia.noop != ib.noop || !slices.Equal(ia.cmds, ib.cmds) {
				bad("(%d,%d): %v, want %v", q, x, ib, ia)
			}
			if ia.status < Committed && (ia.bal != ib.bal || ia.vbal != ib.vbal || ia.unchanged != ib.unchanged) {
				bad("(%d,%d): bal %v vbal %v unchanged %v, want %v %v %v", q, x, ib.bal, ib.vbal, ib.unchanged, ia.bal, ia.vbal, ia.unchanged)
			}
			if (ia.status == Executed) != b.exec.isExecuted(row, x) {
				bad("(%d,%d): %v, and the executor says executed %v", q, x, ib.status, b.exec.isExecuted(row, x))
			}
		}
	}
	if a.next != b.next || a.ownUnexecuted != b.ownUnexecuted {
		bad("next own instance %d, %d own unexecuted; want %d, %d", b.next, b.ownUnexecuted, a.next, a.ownUnexecuted)
	}
	if !maps.EqualFunc(a.rec.replaced, b.rec.replaced, slices.Equal) {
		bad("replaced commands %v, want %v", b.rec.replaced, a.rec.replaced)
	}
	// The summary of forgotten instances: from a's instances b forgot.
	sum := a.rec.forgotten
	if !exact {
		sum = touchSummary{}
		for q := range a.rows {
			for x := a.rows[q].forgotten; x < b.rows[q].forgotten; x++ {
				if in := a.rows.get(int32(q), x); in != nil && !in.noop {
					sum.add(a.n, int32(q), x, in.cmds)
				}
			}
		}
	}
	if !maps.EqualFunc(sum.keys, b.rec.forgotten.keys, slices.Equal) || !maps.EqualFunc(sum.clients, b.rec.forgotten.clients, slices.Equal) {
		bad("forgotten summary of %d keys %d clients, want %d %d", len(b.rec.forgotten.keys), len(b.rec.forgotten.clients), len(sum.keys), len(sum.clients))
	}
	// The conflict index: the answer for every key and client.
	if exact && (len(a.conflicts.keys) != len(b.conflicts.keys) || len(a.conflicts.clients) != len(b.conflicts.clients)) {
		bad("conflict index of %d keys %d clients, want %d %d", len(b.conflicts.keys), len(b.conflicts.clients), len(a.conflicts.keys), len(a.conflicts.clients))
	}
	check := func(what string, ea int32, eb int32, ok bool) {
		if !ok {
			bad("conflict index: no %s", what)
			return
		}
		x, y := a.conflicts.entry(ea), b.conflicts.entry(eb)
		for j := range x {
			if exact && x[j] != y[j] || y[j] < x[j] {
				bad("conflict index: %s %v, want %v", what, y, x)
				return
			}
		}
	}
	for k, e := range a.conflicts.keys {
		eb, ok := b.conflicts.keys[k]
		check("key "+k, e, eb, ok)
	}
	for id, e := range a.conflicts.clients {
		eb, ok := b.conflicts.clients[id]
		check(fmt.Sprint("client ", id), e, eb, ok)
	}
	return out.String()
}

// resumed lists the PreAccepts and Accepts of a Ready.
func resumed(rd paxi.Ready) []string {
	var out []string
	for _, e := range rd.Messages {
		switch m := e.Msg.(type) {
		case *PreAccept:
			out = append(out, fmt.Sprintf("%s PreAccept (%d,%d) %v", e.To, m.Row, m.Inst, m.Ballot))
		case *Accept:
			out = append(out, fmt.Sprintf("%s Accept (%d,%d) %v", e.To, m.Row, m.Inst, m.Ballot))
		}
	}
	return out
}

func sameMultiset(a, b []paxi.Command) bool {
	return len(a) == len(b) && len(minus(a, b)) == 0
}

// minus is a without one copy of each command of b.
func minus(a, b []paxi.Command) []paxi.Command {
	n := map[paxi.Command]int{}
	for _, c := range b {
		n[c]++
	}
	var out []paxi.Command
	for _, c := range a {
		if n[c] > 0 {
			n[c]--
			continue
		}
		out = append(out, c)
	}
	return out
}
