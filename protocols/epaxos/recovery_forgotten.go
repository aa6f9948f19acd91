package epaxos

import "github.com/agora-consensus/agora/paxi"

// touchSummary keeps what forgotten instances touched, for recovery's
// validation (recovery_validate.go), which asks whether a forgotten
// instance above some dependency interferes with a command through one of
// its keys or its client. A forgotten instance's keys are shared strings
// of its commands, so keeping one costs no copy. Per row: for every bucket of keys (by hash), the
// highest forgotten instance that touched a key of it and the highest that
// wrote one, each with that key, in a fixed number of entries (48 KiB per
// row, allocated at the first forgetting; another key in the bucket only
// makes the answer "maybe", and recovery wait); and for
// every client, exactly, the highest forgotten instance with a command of
// it (bounded by the clients, like the conflict index's client entries).
// No-ops touch nothing.
type touchSummary struct {
	keys    []touchBucket // [row*touchBuckets + bucket]
	clients map[uint64][]int64
}

// touchBucket is what the forgotten instances of a row did to a bucket.
type touchBucket struct{ any, write touch }

// touch is the highest forgotten instance to touch (or write) a bucket,
// and the key it touched.
type touch struct {
	inst int64
	key  string
}

// set makes (inst, key) the highest touch; a later instance replaces an
// earlier one, and of two keys of one instance either is as true.
func (t *touch) set(inst int64, key string) {
	if inst >= t.inst {
		*t = touch{inst, key}
	}
}

const touchBuckets = 1024

// add enters instance (row, inst) with cmds.
func (t *touchSummary) add(n int, row int32, inst int64, cmds []paxi.Command) {
	if t.keys == nil {
		t.keys = make([]touchBucket, n*touchBuckets)
		for i := range t.keys {
			t.keys[i] = touchBucket{touch{inst: -1}, touch{inst: -1}}
		}
		t.clients = make(map[uint64][]int64)
	}
	base := int(row) * touchBuckets
	last := uint64(0)
	for i := range cmds {
		c := &cmds[i]
		if c.Op == paxi.Noop {
			continue
		}
		b := &t.keys[base+touchKey(c.Key)]
		b.any.set(inst, c.Key)
		if c.Op.IsWrite() {
			b.write.set(inst, c.Key)
		}
		if c.ClientID != 0 && c.ClientID != last {
			last = c.ClientID
			rs := t.clients[c.ClientID]
			if rs == nil {
				rs = make([]int64, n)
				for q := range rs {
					rs[q] = -1
				}
				t.clients[c.ClientID] = rs
			}
			rs[row] = max(rs[row], inst)
		}
	}
}

// key is the highest forgotten instance of row that touched key's bucket
// in a way that would interfere with a command on key that writes or not
// (-1 if none), and whether it touched key itself.
func (t *touchSummary) key(row int32, key string, write bool) (inst int64, same bool) {
	if t.keys == nil {
		return -1, false
	}
	b := &t.keys[int(row)*touchBuckets+touchKey(key)]
	e := b.write // a read interferes with writes only
	if write {
		e = b.any
	}
	return e.inst, e.key == key
}

// client is the highest forgotten instance of row with a command of
// client id, or -1.
func (t *touchSummary) client(row int32, id uint64) int64 {
	if rs := t.clients[id]; rs != nil {
		return rs[row]
	}
	return -1
}

// touchKey is the bucket of a key (FNV-1a: deterministic, so simulated
// runs replay).
func touchKey(key string) int {
	h := uint32(2166136261)
	for i := 0; i < len(key); i++ {
		h = (h ^ uint32(key[i])) * 16777619
	}
	return int(h % touchBuckets)
}
