package epaxos

import (
	"fmt"

	"github.com/agora-consensus/agora/paxi"
)

// restore rebuilds the replica from the records it persisted before a
// restart, in the order they were persisted. Votes come back with their bal
// and vbal, so this replica never votes against a promise it made; committed
// instances come back committed and are executed again from the start,
// because the state machine starts empty after a restart. Own instances
// that were still being decided are driven on from the vote this replica
// made for them: a pre-accept restarts phase 1 with the same attributes
// (acceptors answer a repeated PreAccept with the vote they made), an accept
// resends Accept with the same attributes and ballot.
func (r *Replica) restore(recs []paxi.Message) error {
	if len(recs) == 0 {
		return nil
	}
	var snap *SnapshotRecord // the checkpoint this restore starts from (snapshot.go)
	// After a peer's snapshot was installed, the peer's checkpoint comes
	// first and this replica's own from its last SnapshotRecord on. (A
	// peer's snapshot may itself be one it installed: then it holds two
	// checkpoints, and this replica's makes three.) See snapcatchup.go.
	own := ownCheckpoint(recs)
	peers := func(k int) bool { return own > 0 && k < own }
	mine := func(k int) bool { return own > 0 && k > own }
	later := false                // past the first checkpoint's SnapshotRecord
	var requeued map[instKey]bool // own instances whose commands were proposed again
	for k, m := range recs {
		if snap != nil && r.forgottenRef(m) {
			continue
		}
		switch rec := m.(type) {
		case *SnapshotRecord:
			if snap != nil && own > 0 {
				// The first says where the rows start. A later one's own
				// row may have been forgotten further: those instance
				// numbers are used, whatever the first holds.
				later = true
				if len(rec.Forgotten) == r.n {
					r.next = max(r.next, rec.Forgotten[r.self])
				}
				continue
			}
			if err := r.restoreSnapshot(k, rec); err != nil {
				return err
			}
			snap = rec
		case *IndexRecord:
			if err := r.restoreIndex(k, rec, later); err != nil {
				return err
			}
		case *ForgottenRecord:
			if later {
				continue // the forgotten prefixes are the first checkpoint's, and so is their exact summary
			}
			if err := r.restoreForgotten(k, rec); err != nil {
				return err
			}
		case *VoteRecord:
			if peers(k) {
				continue // the peer's vote, not this replica's
			}
			if err := r.restoreRef(k, rec.Row, rec.Inst, rec.Deps); err != nil {
				return err
			}
			in := r.rows.getOrCreate(rec.Row, rec.Inst)
			if in.status >= Committed && mine(k) {
				requeued = r.requeueOwnVote(in, rec, requeued)
				continue
			}
			if in.status >= Committed {
				return fmt.Errorf("epaxos: restore: record %d: vote on (%d,%d) after its commit", k, rec.Row, rec.Inst)
			}
			if rec.HasCmds {
				r.stashReplaced(in, rec.Noop)
				in.hasCmds, in.cmds, in.noop = true, rec.Cmds, rec.Noop
			} else if !in.hasCmds {
				return fmt.Errorf("epaxos: restore: record %d: vote on (%d,%d) without commands and no earlier record of them", k, rec.Row, rec.Inst)
			}
			in.status = PreAccepted
			if rec.Accepted {
				in.status = Accepted
			}
			in.seq, in.deps, in.unchanged = rec.Seq, rec.Deps, rec.Unchanged
			in.bal, in.vbal = rec.Bal, rec.VBal
		case *CommitRecord:
			if err := r.restoreRef(k, rec.Row, rec.Inst, rec.Deps); err != nil {
				return err
			}
			in := r.rows.getOrCreate(rec.Row, rec.Inst)
			if rec.HasCmds {
				r.stashReplaced(in, rec.Noop)
				in.hasCmds, in.cmds, in.noop = true, rec.Cmds, rec.Noop
			} else if !in.hasCmds {
				return fmt.Errorf("epaxos: restore: record %d: commit of (%d,%d) without commands and no earlier record of them", k, rec.Row, rec.Inst)
			}
			in.status, in.seq, in.deps = Committed, rec.Seq, rec.Deps
			in.committedAt = -1 // committed before the restart: no delay to measure
		case *PromiseRecord:
			if peers(k) {
				continue // the peer's promise, not this replica's
			}
			if err := r.restoreRef(k, rec.Row, rec.Inst, make([]int64, r.n)); err != nil {
				return err
			}
			in := r.rows.getOrCreate(rec.Row, rec.Inst)
			in.bal = max(in.bal, rec.Bal)
		default:
			return fmt.Errorf("epaxos: restore: record %d: unexpected %s", k, paxi.MessageName(m))
		}
	}
	if snap != nil {
		if err := r.checkSnapshot(snap); err != nil {
			return err
		}
	}
	// Rebuild everything derived from the instances, row by row in
	// instance order so the result is the same on every restart.
	for q := range r.rows {
		row := int32(q)
		for i := r.rows[q].forgotten; i < r.rows.known(row); i++ {
			in := r.rows.get(row, i)
			if in == nil || in.status == None {
				continue
			}
			r.index(in)
			// Executed before the checkpoint this restore starts from:
			// in its state machine, not to be executed again.
			executed := snap != nil && in.status >= Committed && r.exec.isExecuted(row, in.inst)
			if executed {
				in.status = Executed
			}
			if row == r.self {
				r.next = max(r.next, in.inst+1)
				if !executed {
					r.ownUnexecuted++ // apply counts it down when it executes
				}
			}
			if in.status == Committed {
				if r.rec.replaced != nil {
					r.requeueReplaced(in)
				}
				r.exec.add(row, in.inst, in.seq, in.deps)
				r.stats.restoredCommits++
			}
		}
		r.advanceCommitted(row)
	}
	for q := range r.rows {
		for i := r.rows[q].forgotten; i < r.rows.known(int32(q)); i++ {
			if in := r.rows.get(int32(q), i); in != nil && in.status == Committed {
				r.exec.kick(r.exec.vertex(in.row, in.inst))
			}
		}
	}
	r.exec.run()
	r.progress.changed = true
	// Resume own instances that were not decided, in instance order.
	for i := r.rows[r.self].forgotten; i < r.rows.known(r.self); i++ {
		in := r.rows.get(r.self, i)
		if in == nil || in.status == None || in.status >= Committed || in.vbal != r.ballot || in.bal != r.ballot {
			// (A replica that promised a recoverer's ballot leaves the
			// instance to recovery.)
			continue
		}
		committed := r.leaderCommittedDeps(in.deps)
		if in.status == PreAccepted {
			r.lead(in, committed)
			continue
		}
		r.newLeader(in, committed)
		r.acceptRound(in)
	}
	return nil
}

// ownCheckpoint is the index of the last SnapshotRecord of a restore that
// starts with one, where this replica's own checkpoint follows a peer's it
// installed (paxi.CatchUpper); 0 when there is none.
func ownCheckpoint(recs []paxi.Message) int {
	if len(recs) == 0 {
		return 0
	}
	if _, ok := recs[0].(*SnapshotRecord); !ok {
		return 0
	}
	own := 0
	for k := 1; k < len(recs); k++ {
		if _, ok := recs[k].(*SnapshotRecord); ok {
			own = k
		}
	}
	return own
}

// requeueOwnVote takes this replica's own vote on an instance the peer's
// checkpoint holds committed: the commit stands; if it is a no-op that
// replaced the commands of an own instance (a recovery's), they are
// proposed again, as requeueReplaced does when such a commit arrives.
// An instance is requeued once, though its checkpoint may carry its
// commands in two votes (the stash, Checkpoint).
func (r *Replica) requeueOwnVote(in *instance, v *VoteRecord, done map[instKey]bool) map[instKey]bool {
	k := instKey{in.row, in.inst}
	if in.row != r.self || !in.noop || !v.HasCmds || v.Noop || len(v.Cmds) == 0 || done[k] {
		return done
	}
	if done == nil {
		done = map[instKey]bool{}
	}
	done[k] = true
	r.queue = append(r.queue, v.Cmds...)
	r.rec.stats.Requeued += int64(len(v.Cmds))
	return done
}

// restoreRef checks a record's instance reference against this cluster.
func (r *Replica) restoreRef(k int, row int32, inst int64, deps []int64) error {
	if row < 0 || int(row) >= r.n || inst < 0 || len(deps) != r.n {
		return fmt.Errorf("epaxos: restore: record %d: instance (%d,%d) with %d deps does not fit a cluster of %d", k, row, inst, len(deps), r.n)
	}
	return nil
}
