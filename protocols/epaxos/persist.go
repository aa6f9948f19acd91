package epaxos

// Every vote and every commit is persisted through the outbox before
// anything that depends on it leaves: the host makes Ready.Persist durable
// before it sends Ready.Messages. Records are deltas where that is safe:
// the commands travel in the first record of an instance and are left out
// of later ones (restore.go takes them from the earlier record).

// persistVote records this replica's vote on in (its current status, seq,
// deps, bal and vbal); withCmds says the record must carry the commands.
func (r *Replica) persistVote(in *instance, withCmds bool) {
	r.persistVoteIn(new(VoteRecord), in, withCmds)
}

// persistVoteIn is persistVote into rec, for a caller that allocates the
// record together with the reply that follows it (one object, not two).
func (r *Replica) persistVoteIn(rec *VoteRecord, in *instance, withCmds bool) {
	*rec = VoteRecord{
		Row: in.row, Inst: in.inst, Bal: in.bal, VBal: in.vbal,
		Accepted: in.status == Accepted, Seq: in.seq, Deps: in.deps,
		Unchanged: in.unchanged,
	}
	if withCmds {
		rec.HasCmds, rec.Cmds, rec.Noop = true, in.cmds, in.noop
	}
	r.Persist(rec)
	r.stats.records++
}

// persistCommit records that in committed with its current attributes.
func (r *Replica) persistCommit(in *instance, withCmds bool) {
	rec := &CommitRecord{Row: in.row, Inst: in.inst, Seq: in.seq, Deps: in.deps}
	if withCmds {
		rec.HasCmds, rec.Cmds, rec.Noop = true, in.cmds, in.noop
	}
	r.Persist(rec)
	r.stats.records++
}
