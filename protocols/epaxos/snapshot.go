package epaxos

import (
	"fmt"
	"slices"

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

// IndexRecord is the conflict index as held (conflicts.go), forgotten
// instances included: Vals holds its entries in entry order (2+2n numbers
// each), KeyAt and ClientAt the entry of each key and client.
type IndexRecord struct {
	Keys     []string
	KeyAt    []int32
	Clients  []uint64
	ClientAt []int32
	Vals     []int64
}

// ForgottenRecord is the summary of forgotten instances recovery's
// validation reads (recovery_forgotten.go): per key 2n numbers, per
// client n.
type ForgottenRecord struct {
	Keys       []string
	KeyVals    []int64
	Clients    []uint64
	ClientVals []int64
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
	held := 0
	for q := range r.rows {
		hdr.Forgotten[q] = r.rows[q].forgotten
		hdr.Executed[q] = r.exec.rows[q].executedUpTo
		held += int(r.rows[q].known - r.rows[q].forgotten)
	}
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

// indexRecords are the conflict index and the summary of forgotten
// instances, both in entry order of the index, so that a checkpoint is the
// same bytes whatever the maps' iteration order.
func (r *Replica) indexRecords() (*IndexRecord, *ForgottenRecord) {
	c := &r.conflicts
	st := c.stride()
	count := int(c.count)
	keyOf := make([]string, count)
	clientOf := make([]uint64, count)
	isKey := make([]bool, count)
	for k, e := range c.keys {
		keyOf[e], isKey[e] = k, true
	}
	for id, e := range c.clients {
		clientOf[e] = id
	}
	idx := &IndexRecord{Vals: make([]int64, 0, count*st)}
	for ch := range c.chunks {
		idx.Vals = append(idx.Vals, c.chunks[ch][:min(keyChunk, count-ch*keyChunk)*st]...)
	}
	sum := &r.rec.forgotten
	fgt := &ForgottenRecord{}
	for e := range count {
		if isKey[e] {
			idx.Keys, idx.KeyAt = append(idx.Keys, keyOf[e]), append(idx.KeyAt, int32(e))
			if v, ok := sum.keys[keyOf[e]]; ok {
				fgt.Keys, fgt.KeyVals = append(fgt.Keys, keyOf[e]), append(fgt.KeyVals, v...)
			}
			continue
		}
		idx.Clients, idx.ClientAt = append(idx.Clients, clientOf[e]), append(idx.ClientAt, int32(e))
		if v, ok := sum.clients[clientOf[e]]; ok {
			fgt.Clients, fgt.ClientVals = append(fgt.Clients, clientOf[e]), append(fgt.ClientVals, v...)
		}
	}
	// Every key and client of a forgotten instance is in the index (it was
	// indexed when it committed); should one not be, it is not lost.
	if len(fgt.Keys) != len(sum.keys) {
		for k, v := range sum.keys {
			if _, ok := c.keys[k]; !ok {
				fgt.Keys, fgt.KeyVals = append(fgt.Keys, k), append(fgt.KeyVals, v...)
			}
		}
	}
	if len(fgt.Clients) != len(sum.clients) {
		for id, v := range sum.clients {
			if _, ok := c.clients[id]; !ok {
				fgt.Clients, fgt.ClientVals = append(fgt.Clients, id), append(fgt.ClientVals, v...)
			}
		}
	}
	return idx, fgt
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

// restoreIndex takes an IndexRecord: the conflict index as it was.
func (r *Replica) restoreIndex(k int, m *IndexRecord) error {
	c := &r.conflicts
	st := c.stride()
	count := len(m.Keys) + len(m.Clients)
	if c.count != 0 || len(m.KeyAt) != len(m.Keys) || len(m.ClientAt) != len(m.Clients) || len(m.Vals) != count*st {
		return fmt.Errorf("epaxos: restore: record %d: index record twice, or its %d keys, %d clients and %d numbers do not fit", k, len(m.Keys), len(m.Clients), len(m.Vals))
	}
	for range count {
		c.add()
	}
	for e := 0; e < count; e += keyChunk {
		copy(c.chunks[e/keyChunk], m.Vals[e*st:min(e+keyChunk, count)*st])
	}
	for j, e := range m.KeyAt {
		if e < 0 || int(e) >= count {
			return fmt.Errorf("epaxos: restore: record %d: index entry %d of %d", k, e, count)
		}
		c.keys[m.Keys[j]] = e
	}
	for j, e := range m.ClientAt {
		if e < 0 || int(e) >= count {
			return fmt.Errorf("epaxos: restore: record %d: index entry %d of %d", k, e, count)
		}
		c.clients[m.Clients[j]] = e
	}
	return nil
}

// restoreForgotten takes a ForgottenRecord: the summary as it was.
func (r *Replica) restoreForgotten(k int, m *ForgottenRecord) error {
	n := r.n
	if len(m.KeyVals) != 2*n*len(m.Keys) || len(m.ClientVals) != n*len(m.Clients) {
		return fmt.Errorf("epaxos: restore: record %d: forgotten record of %d keys and %d clients with %d and %d numbers", k, len(m.Keys), len(m.Clients), len(m.KeyVals), len(m.ClientVals))
	}
	t := &r.rec.forgotten
	if t.keys == nil {
		t.keys = make(map[string][]int64, len(m.Keys))
		t.clients = make(map[uint64][]int64, len(m.Clients))
	}
	// Copies: the summary grows in place, and a host may restore from the
	// same records again.
	kv, cv := slices.Clone(m.KeyVals), slices.Clone(m.ClientVals)
	for j, key := range m.Keys {
		t.keys[key] = kv[2*n*j : 2*n*(j+1) : 2*n*(j+1)]
	}
	for j, id := range m.Clients {
		t.clients[id] = cv[n*j : n*(j+1) : n*(j+1)]
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
