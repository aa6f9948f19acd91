package epaxos

import "github.com/agora-consensus/agora/paxi"

// commit is the leader's commit of its own instance, on either path. The
// commit record is persisted and the Commits are queued before anything
// executes: the host persists, then sends, then executes, so no replica
// applies a command whose commit is not on its way to the others.
func (r *Replica) commit(in *instance, seq int64, deps []int64) {
	var holders uint64 // peers that hold the commands need no copy
	if in.lead != nil {
		holders = in.lead.holders
	}
	r.commitLocal(in, seq, deps, false)
	// Peers that did not answer the PreAccept (all but the fast quorum in
	// thrifty mode) need the commands: the lean and the full Commit are
	// then allocated together.
	var lean, full *Commit
	prefix := r.ownPrefix(in.row)
	if r.others()&^holders == 0 {
		lean = &Commit{Row: in.row, Inst: in.inst, Seq: seq, Deps: deps, Prefix: prefix}
	} else {
		both := &[2]Commit{
			{Row: in.row, Inst: in.inst, Seq: seq, Deps: deps, Prefix: prefix},
			{Row: in.row, Inst: in.inst, Seq: seq, Deps: deps, HasCmds: true, Cmds: in.cmds, Noop: in.noop, Prefix: prefix},
		}
		lean, full = &both[0], &both[1]
	}
	for p := 0; p < r.n; p++ {
		if p == int(r.self) {
			continue
		}
		if holders&bit(p) != 0 {
			r.Send(r.peers[p], lean)
		} else {
			r.Send(r.peers[p], full)
		}
	}
	r.stats.commitsSent += int64(r.n - 1)
	if r.params.ReplyAtCommit && !in.noop && in.row == r.self {
		for _, c := range in.cmds {
			if c.Op.IsWrite() {
				r.Reply(paxi.Reply{ClientID: c.ClientID, CommandID: c.CommandID})
			}
		}
	}
}

// commitLocal makes (seq, deps) final for in at this replica: it persists
// the commit, enters the attributes into the conflict index, stops any
// leadership of the instance and hands it to the executor. persistCmds
// says the commit record must carry the commands, because no earlier record
// of this replica holds them.
func (r *Replica) commitLocal(in *instance, seq int64, deps []int64, persistCmds bool) {
	if !in.hasCmds {
		panic("epaxos: " + string(r.id) + " commits " + in.String() + " without its commands")
	}
	in.status, in.seq, in.deps = Committed, seq, deps
	in.committedAt = r.now
	r.releaseLeader(in)
	r.index(in)
	r.persistCommit(in, persistCmds)
	r.advanceCommitted(in.row)
	r.progress.changed = true
	r.stats.depsSum += int64(countDeps(deps))
	r.stats.depsCount++
	if r.rec.replaced != nil {
		r.requeueReplaced(in)
	}
	r.exec.commit(in.row, in.inst, seq, deps)
}

// advanceCommitted moves the committed prefix of a row forward.
func (r *Replica) advanceCommitted(row int32) {
	for {
		in := r.rows.get(row, r.committedUpTo[row]+1)
		if in == nil || in.status < Committed {
			return
		}
		r.committedUpTo[row]++
		r.snaps.moved[row] = r.now
	}
}

// onCommit learns a commit from its leader (or from a resend), and from
// its Prefix the Commits of that leader lost on the way (rto.go).
func (r *Replica) onCommit(from paxi.ID, p int, m *Commit) {
	defer r.learnPrefix(p, m)
	if in := r.rows.get(m.Row, m.Inst); r.rows.isForgotten(m.Row, m.Inst) || in != nil && in.status >= Committed {
		// The sender thinks we lack it: our Progress report was lost or is
		// stale, so send a fresh one. (Or it is a late copy; a forgotten
		// instance is committed everywhere, forget.go.)
		r.progress.dirty = true
		return
	}
	if !r.learnCommit(m) {
		r.log.Debug("ignoring Commit without commands for an instance without them", "from", from, "row", m.Row, "inst", m.Inst)
	}
}

// learnCommit commits an instance here with the attributes of m. It
// reports false when the instance was committed already (or forgotten), or
// when m carries no commands and no vote of this replica holds them.
func (r *Replica) learnCommit(m *Commit) bool {
	if r.rows.isForgotten(m.Row, m.Inst) {
		return false
	}
	in := r.rows.getOrCreate(m.Row, m.Inst)
	if in.status >= Committed {
		return false
	}
	persistCmds := false
	if m.HasCmds && (!in.hasCmds || in.noop != m.Noop) {
		r.stashReplaced(in, m.Noop)
		in.hasCmds, in.cmds, in.noop = true, m.Cmds, m.Noop
		persistCmds = true
	} else if !in.hasCmds {
		return false
	}
	r.commitLocal(in, m.Seq, m.Deps, persistCmds)
	return true
}

// sendCommit tells one peer the committed attributes of in.
func (r *Replica) sendCommit(to paxi.ID, in *instance, withCmds bool) {
	c := &Commit{Row: in.row, Inst: in.inst, Seq: in.seq, Deps: in.deps, Prefix: r.ownPrefix(in.row)}
	if withCmds {
		c.HasCmds, c.Cmds, c.Noop = true, in.cmds, in.noop
	}
	r.Send(to, c)
	r.stats.commitsResent++
}

// ownPrefix is the Prefix of a Commit of row's instance (rto.go): how far
// this replica has committed its own row, for its own row only.
func (r *Replica) ownPrefix(row int32) int64 {
	if row != r.self {
		return 0
	}
	return r.committedUpTo[row] + 1
}

// countDeps is the number of rows an instance depends on.
func countDeps(deps []int64) int {
	n := 0
	for _, d := range deps {
		if d >= 0 {
			n++
		}
	}
	return n
}
