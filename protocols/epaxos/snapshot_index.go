package epaxos

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The conflict index and the summary of forgotten instances in a
// checkpoint (snapshot.go). Each has an entry per key and per client ever
// seen, as many entries as the state machine has keys, so each is one
// byte string rather than msgpack arrays: as arrays of strings and
// numbers, encoding an index of 400,000 keys took 0.5-0.9 s of event-loop
// time on this machine, against tens of milliseconds as bytes
// (BenchmarkCheckpoint, docs/SNAPSHOTS.md).
//
// Data holds the entries one after the other: a kind byte (entryKey or
// entryClient), the key (uvarint length, then its bytes) or the client id
// (uvarint), then the entry's numbers, each v as uvarint(v+1), since they
// are -1 (none) or more. The index's entries come in entry order, each
// with its 2+2n numbers (conflicts.go); the summary's in any order, 2n
// numbers per key and n per client (recovery_forgotten.go).

// IndexRecord is the conflict index as held, forgotten instances
// included: a new instance depends on the forgotten ones as it would have
// before the snapshot.
type IndexRecord struct{ Data []byte }

// ForgottenRecord is the summary of forgotten instances that recovery's
// validation reads (recovery_forgotten.go).
type ForgottenRecord struct{ Data []byte }

const (
	entryKey    byte = 0
	entryClient byte = 1
)

// indexRecords are the conflict index, in entry order, and the summary of
// forgotten instances.
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
	// Room for numbers of three bytes and short keys, so that it rarely grows.
	idx := entryWriter{b: make([]byte, 0, count*(3*st+16))}
	for e := range count {
		if isKey[e] {
			idx.key(keyOf[e])
		} else {
			idx.client(clientOf[e])
		}
		idx.nums(c.entry(int32(e)))
	}
	// The summary in its maps' order: looking each key of the index up in
	// it instead cost more than the rest of the checkpoint together (a
	// cache miss or three per key), and the order changes nothing restored.
	sum := &r.rec.forgotten
	fgt := entryWriter{b: make([]byte, 0, (len(sum.keys)+len(sum.clients))*(6*r.n+16))}
	for k, v := range sum.keys {
		fgt.key(k)
		fgt.nums(v)
	}
	for id, v := range sum.clients {
		fgt.client(id)
		fgt.nums(v)
	}
	return &IndexRecord{Data: idx.b}, &ForgottenRecord{Data: fgt.b}
}

// restoreIndex takes an IndexRecord into the (empty) conflict index, or,
// with merge, into one restored from a peer's checkpoint (snapcatchup.go):
// every number of an entry is a maximum (conflicts.go), so the merge keeps
// the higher of the two, and a new instance depends on whatever either
// replica had seen touch the key.
func (r *Replica) restoreIndex(k int, m *IndexRecord, merge bool) error {
	c := &r.conflicts
	if c.count != 0 && !merge {
		return fmt.Errorf("epaxos: restore: record %d: a second index record", k)
	}
	var seen map[int32]bool // with merge: entries of this record, for the duplicate check
	if merge {
		seen = make(map[int32]bool)
	}
	var nums []int64
	rd := entryReader{b: m.Data}
	for len(rd.b) > 0 && rd.err == nil {
		kind, key, id := rd.name()
		e, ok := c.clients[id]
		if kind == entryKey {
			e, ok = c.keys[key]
		}
		switch {
		case ok && (!merge || seen[e]):
			if kind == entryKey {
				rd.fail("key %q twice", key)
			} else {
				rd.fail("client %d twice", id)
			}
		case ok:
			nums = append(nums[:0], c.entry(e)...)
			rd.nums(nums)
			for j, v := range c.entry(e) {
				c.entry(e)[j] = max(v, nums[j])
			}
		default:
			e = c.add()
			rd.nums(c.entry(e))
			if kind == entryKey {
				c.keys[key] = e
			} else {
				c.clients[id] = e
			}
		}
		if merge {
			seen[e] = true
		}
	}
	if rd.err != nil {
		return fmt.Errorf("epaxos: restore: record %d: index record: %w", k, rd.err)
	}
	return nil
}

// restoreForgotten takes a ForgottenRecord into the summary.
func (r *Replica) restoreForgotten(k int, m *ForgottenRecord) error {
	t := &r.rec.forgotten
	if t.keys == nil {
		t.keys = make(map[string][]int64)
		t.clients = make(map[uint64][]int64)
	}
	rd := entryReader{b: m.Data}
	var block []int64 // the entries are carved out of shared blocks
	for len(rd.b) > 0 && rd.err == nil {
		kind, key, id := rd.name()
		size := r.n
		if kind == entryKey {
			size = 2 * r.n
		}
		if len(block)+size > cap(block) {
			block = make([]int64, 0, 256*size)
		}
		vs := block[len(block) : len(block)+size : len(block)+size]
		block = block[:len(block)+size]
		rd.nums(vs)
		if kind == entryKey {
			t.keys[key] = vs
		} else {
			t.clients[id] = vs
		}
	}
	if rd.err != nil {
		return fmt.Errorf("epaxos: restore: record %d: forgotten record: %w", k, rd.err)
	}
	return nil
}

// entryWriter appends entries in the format above.
type entryWriter struct{ b []byte }

func (w *entryWriter) key(k string) {
	w.b = append(w.b, entryKey)
	w.b = binary.AppendUvarint(w.b, uint64(len(k)))
	w.b = append(w.b, k...)
}

func (w *entryWriter) client(id uint64) {
	w.b = append(w.b, entryClient)
	w.b = binary.AppendUvarint(w.b, id)
}

func (w *entryWriter) nums(vs []int64) {
	for _, v := range vs {
		w.b = binary.AppendUvarint(w.b, uint64(v+1))
	}
}

// entryReader reads them back; the first error sticks, and every read
// after it returns zero values.
type entryReader struct {
	b   []byte
	err error
}

var errTruncated = errors.New("ends inside an entry")

func (r *entryReader) fail(f string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(f, args...)
	}
}

func (r *entryReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errTruncated
		return 0
	}
	r.b = r.b[n:]
	return v
}

// name reads an entry's kind and its key or client id.
func (r *entryReader) name() (kind byte, key string, id uint64) {
	if r.err != nil || len(r.b) == 0 {
		r.fail("%w", errTruncated)
		return 0, "", 0
	}
	kind, r.b = r.b[0], r.b[1:]
	switch kind {
	case entryKey:
		n := r.uvarint()
		if r.err == nil && n > uint64(len(r.b)) {
			r.err = errTruncated
		}
		if r.err != nil {
			return 0, "", 0
		}
		key, r.b = string(r.b[:n]), r.b[n:]
	case entryClient:
		id = r.uvarint()
	default:
		r.fail("entry of unknown kind %d", kind)
	}
	return kind, key, id
}

// nums reads len(dst) numbers into dst.
func (r *entryReader) nums(dst []int64) {
	for i := range dst {
		dst[i] = int64(r.uvarint()) - 1
	}
}
