package epaxos

import "github.com/agora-consensus/agora/paxi"

// touchSummary keeps what forgotten instances touched, for recovery's
// validation (recovery_validate.go), which asks whether a forgotten
// instance above some dependency interferes with a command through one of
// its keys or its client. It is exact: per key, and per client, the
// highest forgotten instance of every row that touched (or wrote) it.
// Like the conflict index, which also keeps an entry for every key and
// client ever seen, it grows with the keys and clients, not with the
// commands. (An earlier version kept 1024 hash buckets per row; a bucket
// shared with another key answered "maybe", and since the forgotten prefix
// only grows, a recovery that met one waited for ever: review finding,
// TestReviewBucketCollisionBlocksValidationForEver.) No-ops touch nothing.
type touchSummary struct {
	keys    map[string][]int64 // per key: [row] any touch, [n+row] a write
	clients map[uint64][]int64
}

// add enters instance (row, inst) with cmds.
func (t *touchSummary) add(n int, row int32, inst int64, cmds []paxi.Command) {
	if t.keys == nil {
		t.keys = make(map[string][]int64)
		t.clients = make(map[uint64][]int64)
	}
	last := uint64(0)
	for i := range cmds {
		c := &cmds[i]
		if c.Op == paxi.Noop {
			continue
		}
		ks := entry(t.keys, c.Key, 2*n)
		ks[row] = max(ks[row], inst)
		if c.Op.IsWrite() {
			ks[n+int(row)] = max(ks[n+int(row)], inst)
		}
		if c.ClientID != 0 && c.ClientID != last {
			last = c.ClientID
			rs := entry(t.clients, c.ClientID, n)
			rs[row] = max(rs[row], inst)
		}
	}
}

// entry is m[k], made (every row at -1) if absent.
func entry[K comparable](m map[K][]int64, k K, size int) []int64 {
	rs := m[k]
	if rs == nil {
		rs = make([]int64, size)
		for q := range rs {
			rs[q] = -1
		}
		m[k] = rs
	}
	return rs
}

// key is the highest forgotten instance of row that touched key in a way
// that would interfere with a command on key that writes or not (-1 if
// none).
func (t *touchSummary) key(row int32, key string, write bool) int64 {
	ks := t.keys[key]
	if ks == nil {
		return -1
	}
	if write {
		return ks[row] // a write interferes with every touch
	}
	return ks[len(ks)/2+int(row)] // a read interferes with writes only
}

// client is the highest forgotten instance of row with a command of
// client id, or -1.
func (t *touchSummary) client(row int32, id uint64) int64 {
	if rs := t.clients[id]; rs != nil {
		return rs[row]
	}
	return -1
}
