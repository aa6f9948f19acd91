package epaxos

import "github.com/agora-consensus/agora/paxi"

// Dependencies are kept as one number per row, as in the paper and the
// reference implementation: deps[q] = k says the instance depends on (q, k)
// and on every earlier instance of row q. The prefix reading matters because
// instances are batches: with deps[q] naming only the highest interfering
// instance (q, k), an earlier (q, j) that interferes with us through another
// key (or a read that interferes with our write while (q, k) is also a
// read) would have no path to us at all, and replicas could order the two
// differently. Depending on the whole prefix adds edges that are not
// strictly needed but are the same at every replica, so execution order
// stays identical everywhere.
//
// Under that reading the conflict index needs only two numbers per key and
// row: the highest instance of the row that writes the key and the highest
// that reads it. A write depends on both (the latest write and the reads
// since, since every earlier read is in the prefix), a read only on the
// write, because reads never interfere with reads. The index also keeps, per
// key, the highest seq of any write and of any command, so a new command's
// seq is one more than every interfering seq without a scan.

// keyState is the conflict index entry of one key, 2+2n numbers in one
// block: the highest seq of an instance that writes the key and of any
// instance that touches it (-1 if none), then per row the highest instance
// that writes the key, then per row the highest that reads it (-1 if none).
// Blocks are carved out of shared chunks, so that an entry is one
// contiguous piece of memory rather than a struct and two arrays: every
// command of every instance looks its keys up at every replica, and with
// many keys each piece of an entry is a cache miss.
type keyState []int64

func (ks keyState) writeSeq() int64 { return ks[0] }
func (ks keyState) anySeq() int64   { return ks[1] }

// write and read return the per-row maxima.
func (ks keyState) write() []int64 { n := (len(ks) - 2) / 2; return ks[2 : 2+n : 2+n] }
func (ks keyState) read() []int64  { n := (len(ks) - 2) / 2; return ks[2+n:] }

// keyChunk is how many entries are allocated at once.
const keyChunk = 256

// conflictIndex maps keys to the instances that last touched them. Every
// operation on a batch first resolves its keys once (lookup); attributes,
// wouldChange and record then work on the resolved entries, so a command
// costs one map lookup however many of them run.
type conflictIndex struct {
	n       int              // rows
	keys    map[string]int32 // entry number of each key; never ranged over
	clients map[uint64]int32 // entry number of each client (see lookup); never ranged over
	chunks  [][]int64        // entry e is chunks[e/keyChunk][(e%keyChunk)*stride:][:stride]
	count   int32            // entries allocated
	looked  []keyState       // scratch: the entries of the last lookup
}

func newConflictIndex(n int) conflictIndex {
	return conflictIndex{n: n, keys: make(map[string]int32), clients: make(map[uint64]int32)}
}

// stride is the length of one entry.
func (c *conflictIndex) stride() int { return 2 + 2*c.n }

// entry returns entry e.
func (c *conflictIndex) entry(e int32) keyState {
	st := c.stride()
	off := int(e%keyChunk) * st
	return keyState(c.chunks[e/keyChunk][off : off+st : off+st])
}

// add allocates an entry, every number -1.
func (c *conflictIndex) add() int32 {
	e := c.count
	if int(e/keyChunk) == len(c.chunks) {
		chunk := make([]int64, keyChunk*c.stride())
		for i := range chunk {
			chunk[i] = -1
		}
		c.chunks = append(c.chunks, chunk)
	}
	c.count++
	return e
}

// lookup returns two entries per command of cmds, creating missing ones:
// at 2i the entry of command i's key, at 2i+1 the entry of its client
// (nil for a no-op, for a command without a client, and for the same
// client as the command before).
//
// The client entry makes every two commands of one client interfere, as
// writes. Deduplication needs it: the state machine skips a (client, id)
// it has executed, so two commands that share one (a client reusing an id
// on another key) must execute in the same order everywhere, or replicas
// skip different ones (TestReusedCommandIDOnAnotherKeyDoesNotDiverge).
// paxi.Command.Interferes asks only that commands with the same (client,
// id) interfere; ordering all of a client's commands is more than that, and
// costs nothing on the fast path when, as usual, a client talks to one
// replica: every replica sees that replica's instances in order, so they
// agree on the client's latest one. The entries are bounded by the number
// of clients, where one per (client, id) would grow without end.
//
// The slice is reused by the next lookup.
func (c *conflictIndex) lookup(cmds []paxi.Command) []keyState {
	c.looked = c.looked[:0]
	lastClient := uint64(0)
	for i := range cmds {
		cmd := &cmds[i]
		if cmd.Op == paxi.Noop {
			c.looked = append(c.looked, nil, nil)
			continue
		}
		e, ok := c.keys[cmd.Key]
		if !ok {
			e = c.add()
			c.keys[cmd.Key] = e
		}
		c.looked = append(c.looked, c.entry(e))
		switch {
		case cmd.ClientID == 0:
			c.looked = append(c.looked, nil)
		case cmd.ClientID == lastClient:
			// Batches hold runs of one client's commands, and an entry
			// folded or recorded twice for one instance changes nothing.
			c.looked = append(c.looked, nil)
		default:
			e, ok := c.clients[cmd.ClientID]
			if !ok {
				e = c.add()
				c.clients[cmd.ClientID] = e
			}
			lastClient = cmd.ClientID
			c.looked = append(c.looked, c.entry(e))
		}
	}
	return c.looked
}

// writes reports whether entry j of a lookup of cmds is entered as a
// write: a client entry always is, a key entry when its command writes.
func writes(cmds []paxi.Command, j int) bool {
	return j%2 == 1 || cmds[j/2].Op.IsWrite()
}

// attributes folds the entries of a batch (from lookup) into (seq, deps):
// seq becomes at least one more than every interfering instance's seq, and
// deps[q] at least the highest interfering instance of row q. deps is
// written in place, so callers pass a slice they own. It reports whether
// anything grew.
func attributes(cmds []paxi.Command, states []keyState, seq *int64, deps []int64) (changed bool) {
	for j, ks := range states {
		if ks == nil {
			continue
		}
		write := ks.write()
		if writes(cmds, j) {
			if ks.anySeq() >= *seq {
				*seq, changed = ks.anySeq()+1, true
			}
			read := ks.read()
			for q := range deps {
				if d := max(write[q], read[q]); d > deps[q] {
					deps[q], changed = d, true
				}
			}
		} else {
			if ks.writeSeq() >= *seq {
				*seq, changed = ks.writeSeq()+1, true
			}
			for q, d := range write {
				if d > deps[q] {
					deps[q], changed = d, true
				}
			}
		}
	}
	return changed
}

// wouldChange reports whether attributes would add anything to (seq, deps),
// without writing: the common case on an acceptor is that nothing is added,
// and then the leader's deps slice is shared as it is.
func wouldChange(cmds []paxi.Command, states []keyState, seq int64, deps []int64) bool {
	for j, ks := range states {
		if ks == nil {
			continue
		}
		write := ks.write()
		if writes(cmds, j) {
			if ks.anySeq() >= seq {
				return true
			}
			read := ks.read()
			for q := range deps {
				if write[q] > deps[q] || read[q] > deps[q] {
					return true
				}
			}
		} else {
			if ks.writeSeq() >= seq {
				return true
			}
			for q, d := range write {
				if d > deps[q] {
					return true
				}
			}
		}
	}
	return false
}

// record enters instance (row, inst) with its seq into the entries of its
// batch (from lookup). The index only keeps maxima, so recording the same
// instance again (when its seq grows) is harmless.
func record(cmds []paxi.Command, states []keyState, row int32, inst, seq int64) {
	for j, ks := range states {
		if ks == nil {
			continue
		}
		ks[1] = max(ks[1], seq)
		if writes(cmds, j) {
			w := ks.write()
			w[row] = max(w[row], inst)
			ks[0] = max(ks[0], seq)
		} else {
			r := ks.read()
			r[row] = max(r[row], inst)
		}
	}
}

// keyCount is the number of keys in the index (for tests and stats).
func (c *conflictIndex) keyCount() int { return len(c.keys) }

// index enters in into the conflict index unless it is there already with
// its current seq.
func (r *Replica) index(in *instance) {
	if in.indexed && in.indexedSeq >= in.seq {
		return
	}
	record(in.cmds, r.conflicts.lookup(in.cmds), in.row, in.inst, in.seq)
	in.indexed, in.indexedSeq = true, in.seq
}
