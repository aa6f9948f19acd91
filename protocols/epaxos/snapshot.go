package epaxos

import (
	"fmt"

	"github.com/agora-consensus/agora/paxi"
)

// Checkpoints (paxi.Checkpointer, docs/SNAPSHOTS.md): the records that,
// replayed alone after a state-machine snapshot, rebuild the replica as it
// is, minus what is executed and forgotten. A restore from the whole log
// rebuilds the same instances from the votes and commits that made them;
// what it rebuilds from instances forgotten since (the conflict index
// entries they left, the executed and committed prefixes, the next own
// instance number) and what forgetting built (the summary of forgotten
// instances) the checkpoint carries itself, in three records of its own.
// The instances are the ordinary VoteRecord, CommitRecord and
// PromiseRecord, so restore.go replays them as it replays the log.

// SnapshotRecord is the first checkpoint record, never in the log: where
// each row starts and how far it executed. The committed prefixes and the
// next own instance number need no field: the rows' instances rebuild them
// as a restore from the whole log does (the commits held above the
// forgotten prefix, the highest own instance held, or the forgotten prefix
// of the own row when every own instance is forgotten).
type SnapshotRecord struct {
	// Forgotten[q]: instances (q, 0..Forgotten[q]-1) are forgotten (executed
	// here, committed at every peer, forget.go).
	Forgotten []int64
	// Executed[q]: the executor's executed prefix of row q; every instance
	// up to it is in the state-machine snapshot.
	Executed []int64
	// ExecRows, ExecInsts: the instances executed above their row's
	// executed prefix (also in the state-machine snapshot).
	ExecRows  []int32
	ExecInsts []int64
}

func init() {
	paxi.RegisterMessage("epaxos.SnapshotRecord", &SnapshotRecord{})
	paxi.RegisterMessage("epaxos.IndexRecord", &IndexRecord{})
	paxi.RegisterMessage("epaxos.ForgottenRecord", &ForgottenRecord{})
}

var _ paxi.Checkpointer = (*Replica)(nil)

// Checkpoint implements paxi.Checkpointer: a SnapshotRecord, the conflict
// index, the summary of forgotten instances, and per instance held (every
// one not forgotten, row by row in instance order) the record a restore
// takes it from: its vote (VoteRecord, with commands, bal and vbal apart),
// its commit (CommitRecord with commands; executed ones are also named in
// the SnapshotRecord), or the promise of an instance it has no vote on
// (PromiseRecord). An own instance whose commands a no-op may replace
// (stashReplaced) is preceded by a vote with those commands and one with a
// no-op, which stash them again as its restore did.
//
// Committed instances keep no ballots: every handler asks whether an
// instance is committed before it reads them (acceptorInstance answers a
// PreAccept, Accept, Prepare or Validate of one with its Commit; a
// recovery round of a committed instance ends, liveRound).
func (r *Replica) Checkpoint() []paxi.Message {
	hdr := &SnapshotRecord{
		Forgotten: make([]int64, r.n), Executed: make([]int64, r.n),
	}
	held := 0 // at most this many instances: those of the chunks allocated
	for q := range r.rows {
		hdr.Forgotten[q] = r.rows[q].forgotten
		hdr.Executed[q] = r.exec.rows[q].executedUpTo
		for _, chunk := range r.rows[q].chunks[r.rows[q].released:] {
			held += len(chunk) // (not known - forgotten: a row may have gaps, bounds.go)
		}
	}
	r.snaps.taken = hdr.Executed // what this snapshot covers, once saved (snapcatchup.go)
	idx, fgt := r.indexRecords()
	out := make([]paxi.Message, 0, 3+held)
	out = append(out, hdr, idx, fgt)
	// The records are allocated in blocks, not one by one.
	var commits []CommitRecord
	var votes []VoteRecord
	for q := range r.rows {
		row := &r.rows[q]
		for c := row.released; c < len(row.chunks); c++ {
			for k := range row.chunks[c] {
				in := &row.chunks[c][k]
				if i := int64(c)<<instChunkBits + int64(k); i < row.forgotten || i >= row.known {
					continue // zeroed when forgotten, or never touched
				}
				switch {
				case in.status == None:
					if in.bal != 0 {
						out = append(out, &PromiseRecord{Row: in.row, Inst: in.inst, Bal: in.bal})
					}
				case in.status <= Accepted:
					if cmds, ok := r.rec.replaced[instKey{in.row, in.inst}]; ok {
						was := r.voteRecord(in)
						was.HasCmds, was.Cmds, was.Noop = true, cmds, false
						noop := r.voteRecord(in)
						noop.HasCmds, noop.Cmds, noop.Noop = true, nil, true
						out = append(out, was, noop)
					}
					if len(votes) == cap(votes) {
						votes = make([]VoteRecord, 0, 256)
					}
					votes = append(votes, *r.voteRecord(in))
					out = append(out, &votes[len(votes)-1])
				default:
					if len(commits) == cap(commits) {
						commits = make([]CommitRecord, 0, min(4096, max(held, 16)))
					}
					commits = append(commits, CommitRecord{Row: in.row, Inst: in.inst, Seq: in.seq, Deps: in.deps, HasCmds: true, Cmds: in.cmds, Noop: in.noop})
					out = append(out, &commits[len(commits)-1])
					if in.status == Executed && in.inst > hdr.Executed[q] {
						hdr.ExecRows = append(hdr.ExecRows, in.row)
						hdr.ExecInsts = append(hdr.ExecInsts, in.inst)
					}
				}
			}
		}
	}
	return out
}

// voteRecord is in's vote as a VoteRecord with its commands.
func (r *Replica) voteRecord(in *instance) *VoteRecord {
	return &VoteRecord{
		Row: in.row, Inst: in.inst, Bal: in.bal, VBal: in.vbal,
		Accepted: in.status == Accepted, Seq: in.seq, Deps: in.deps, Unchanged: in.unchanged,
		HasCmds: in.hasCmds, Cmds: in.cmds, Noop: in.noop,
	}
}

// restoreSnapshot takes the SnapshotRecord, which comes before every other
// record of a restore: the rows start at their forgotten prefixes, the
// executor at its executed prefixes, with the instances executed above
// them marked executed (their commits follow, and must: checkSnapshot).
func (r *Replica) restoreSnapshot(k int, m *SnapshotRecord) error {
	bad := func(why string, args ...any) error {
		return fmt.Errorf("epaxos: restore: record %d: snapshot record: %s", k, fmt.Sprintf(why, args...))
	}
	if k != 0 {
		return bad("not the first record")
	}
	if len(m.Forgotten) != r.n || len(m.Executed) != r.n || len(m.ExecRows) != len(m.ExecInsts) {
		return bad("does not fit a cluster of %d", r.n)
	}
	// The bound keeps a corrupt record from allocating without end (the
	// tables hold an entry per 1024 instances).
	const most = 1 << 40
	for q := range r.n {
		f := m.Forgotten[q]
		if f < 0 || m.Executed[q] < f-1 || f > most || m.Executed[q] > most {
			return bad("row %d: forgotten below %d, executed up to %d", q, f, m.Executed[q])
		}
		row := &r.rows[q]
		chunks := int(f >> instChunkBits)
		row.chunks, row.released = make([][]instance, chunks), chunks
		row.forgotten, row.known = f, f
		r.committedUpTo[q] = f - 1 // advanceCommitted goes on from there
		x := &r.exec.rows[q]
		done := int((m.Executed[q] + 1) >> chunkBits)
		x.executedUpTo, x.chunks, x.released = m.Executed[q], make([][]vertex, done), done
	}
	r.next = m.Forgotten[r.self] // restore goes on past the own instances held
	// The snapshot restored from is on disk: the newest this replica has.
	r.snaps.newest = append([]int64(nil), m.Executed...)
	for j, row := range m.ExecRows {
		if row < 0 || int(row) >= r.n || m.ExecInsts[j] <= m.Executed[row] || m.ExecInsts[j] > most {
			return bad("executed instance (%d,%d) out of range", row, m.ExecInsts[j])
		}
		v := r.exec.vertex(row, m.ExecInsts[j])
		v.committed, v.executed = true, true
	}
	return nil
}

// checkSnapshot checks, once every record is replayed, that the instances
// the SnapshotRecord says are executed were restored committed.
func (r *Replica) checkSnapshot(m *SnapshotRecord) error {
	check := func(row int32, i int64) error {
		if in := r.rows.get(row, i); in == nil || in.status < Committed {
			return fmt.Errorf("epaxos: restore: snapshot record says (%d,%d) executed, and no commit of it follows", row, i)
		}
		return nil
	}
	for q := range r.n {
		for i := m.Forgotten[q]; i <= m.Executed[q]; i++ {
			if err := check(int32(q), i); err != nil {
				return err
			}
		}
	}
	for j, row := range m.ExecRows {
		if err := check(row, m.ExecInsts[j]); err != nil {
			return err
		}
	}
	return nil
}

// forgottenRef reports whether a log record is about an instance below its
// row's forgotten prefix: a tail replayed after a checkpoint holds none
// (nothing is persisted about an instance once forgotten), and one would
// tell nothing new, so restore skips it.
func (r *Replica) forgottenRef(m paxi.Message) bool {
	var row int32
	var inst int64
	switch rec := m.(type) {
	case *VoteRecord:
		row, inst = rec.Row, rec.Inst
	case *CommitRecord:
		row, inst = rec.Row, rec.Inst
	case *PromiseRecord:
		row, inst = rec.Row, rec.Inst
	default:
		return false
	}
	return row >= 0 && int(row) < r.n && r.rows.isForgotten(row, inst)
}
