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

// keyState is the conflict index entry of one key.
type keyState struct {
	write    []int64 // per row: highest instance that writes the key, -1 if none
	read     []int64 // per row: highest instance that reads the key, -1 if none
	writeSeq int64   // highest seq of an instance that writes the key, -1 if none
	anySeq   int64   // highest seq of an instance that touches the key, -1 if none
}

// conflictIndex maps keys to the instances that last touched them.
type conflictIndex struct {
	n    int                  // rows
	keys map[string]*keyState // never ranged over
}

func newConflictIndex(n int) conflictIndex {
	return conflictIndex{n: n, keys: make(map[string]*keyState)}
}

func (c *conflictIndex) state(key string) *keyState {
	ks := c.keys[key]
	if ks == nil {
		ks = &keyState{write: make([]int64, c.n), read: make([]int64, c.n), writeSeq: -1, anySeq: -1}
		for q := range ks.write {
			ks.write[q], ks.read[q] = -1, -1
		}
		c.keys[key] = ks
	}
	return ks
}

// attributes folds this replica's view into (seq, deps) for a batch: seq
// becomes at least one more than every interfering instance's seq, and
// deps[q] at least the highest interfering instance of row q. deps is
// written in place, so callers pass a slice they own. Instance (row, inst)
// itself is never a dependency of itself; the executor ignores it anyway.
// It reports whether anything grew.
func (c *conflictIndex) attributes(cmds []paxi.Command, seq *int64, deps []int64) (changed bool) {
	for i := range cmds {
		cmd := &cmds[i]
		if cmd.Op == paxi.Noop {
			continue
		}
		ks := c.keys[cmd.Key]
		if ks == nil {
			continue
		}
		if cmd.Op.IsWrite() {
			if ks.anySeq >= *seq {
				*seq, changed = ks.anySeq+1, true
			}
			for q := range deps {
				if d := max(ks.write[q], ks.read[q]); d > deps[q] {
					deps[q], changed = d, true
				}
			}
		} else {
			if ks.writeSeq >= *seq {
				*seq, changed = ks.writeSeq+1, true
			}
			for q, d := range ks.write {
				if d > deps[q] {
					deps[q], changed = d, true
				}
			}
		}
	}
	return changed
}

// wouldChange reports whether attributes would add anything to (seq, deps),
// without allocating: the common case on an acceptor is that nothing is
// added, and then the leader's deps slice can be shared as it is.
func (c *conflictIndex) wouldChange(cmds []paxi.Command, seq int64, deps []int64) bool {
	for i := range cmds {
		cmd := &cmds[i]
		if cmd.Op == paxi.Noop {
			continue
		}
		ks := c.keys[cmd.Key]
		if ks == nil {
			continue
		}
		if cmd.Op.IsWrite() {
			if ks.anySeq >= seq {
				return true
			}
			for q := range deps {
				if ks.write[q] > deps[q] || ks.read[q] > deps[q] {
					return true
				}
			}
		} else {
			if ks.writeSeq >= seq {
				return true
			}
			for q, d := range ks.write {
				if d > deps[q] {
					return true
				}
			}
		}
	}
	return false
}

// record enters instance (row, inst) with its seq into the index for every
// key of its batch. The index only keeps maxima, so recording the same
// instance again (when its attributes grow) is harmless.
func (c *conflictIndex) record(cmds []paxi.Command, row int32, inst, seq int64) {
	for i := range cmds {
		cmd := &cmds[i]
		if cmd.Op == paxi.Noop {
			continue
		}
		ks := c.state(cmd.Key)
		if seq > ks.anySeq {
			ks.anySeq = seq
		}
		if cmd.Op.IsWrite() {
			if inst > ks.write[row] {
				ks.write[row] = inst
			}
			if seq > ks.writeSeq {
				ks.writeSeq = seq
			}
		} else if inst > ks.read[row] {
			ks.read[row] = inst
		}
	}
}

// keyCount is the number of keys in the index (for tests and stats).
func (c *conflictIndex) keyCount() int { return len(c.keys) }
