package paxi

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"slices"
)

// The snapshot of a KV (docs/SNAPSHOTS.md, "State machine"):
//
//	"AGKV0001"                          magic
//	uvarint applied
//	uvarint keys, then per key:         uvarint len, key, uvarint len, value
//	uvarint clients, then per client:   uvarint id, uvarint low,
//	                                    uvarint n, n ids as uvarint gaps
//	                                    from low, each >= 1 (increasing)
//	uint32 CRC32C (little endian) of everything before it
//
// Keys are in map order, not sorted: sorting a million keys cost more than
// the whole encoding, and no reader compares snapshot bytes, only the
// state they restore (KV.Equal). The checksum makes the payload
// self-checking wherever it travels (a file, chunks over the network):
// a flipped bit or a cut is an error, never a silently different state.
// Snapshots written by earlier builds are JSON ('{' first) and still load.
const kvMagic = "AGKV0001"

var kvCRC = crc32.MakeTable(crc32.Castagnoli)

// KVView is the state of a KV at one instant (KV.Freeze), immutable, for
// encoding on another goroutine while the KV goes on executing.
type KVView struct {
	data    map[string]string
	windows []viewWindow
	applied uint64
}

type viewWindow struct {
	client, low uint64
	done        []uint64
}

// Freeze returns a view of the current state and makes the KV copy on
// write: later commands go to a small map of their own while the view
// reads the old one, so freezing costs a pointer swap and a copy of the
// at-most-once windows (one per client), not a copy of the data. Call
// Thaw once the view is no longer used; Freeze thaws an earlier view
// first, so that one must be done with too.
func (kv *KV) Freeze() *KVView {
	kv.Thaw()
	v := &KVView{data: kv.data, applied: kv.applied}
	add := func(c uint64, w *clientWindow) {
		vw := viewWindow{client: c, low: w.low}
		if len(w.done) > 0 {
			vw.done = make([]uint64, 0, len(w.done))
			for id := range w.done {
				vw.done = append(vw.done, id)
			}
		}
		v.windows = append(v.windows, vw)
	}
	for c := range kv.dense {
		if w := &kv.dense[c]; w.low != 0 || len(w.done) > 0 {
			add(uint64(c), w)
		}
	}
	for c, w := range kv.clients {
		add(c, w)
	}
	kv.frozen, kv.data, kv.deleted = kv.data, map[string]string{}, map[string]struct{}{}
	return v
}

// Thaw folds the writes made since Freeze back into the frozen map, at a
// cost proportional to those writes; the view must no longer be in use.
// Without a view out it does nothing.
func (kv *KV) Thaw() {
	if kv.frozen == nil {
		return
	}
	for k, v := range kv.data {
		kv.frozen[k] = v
	}
	for k := range kv.deleted {
		delete(kv.frozen, k)
	}
	kv.data, kv.frozen, kv.deleted = kv.frozen, nil, nil
}

// Snapshot serializes the whole state, at-most-once bookkeeping included.
func (kv *KV) Snapshot() ([]byte, error) {
	if kv.frozen != nil {
		return nil, errors.New("kv snapshot: a view is out (Thaw it first)")
	}
	b := kv.Freeze().Encode()
	kv.Thaw()
	return b, nil
}

// Encode serializes the view. It only reads the view, so it may run on
// any goroutine.
func (v *KVView) Encode() []byte { return v.AppendTo(nil) }

// AppendTo appends the view's encoding to dst (growing it once, to a size
// computed first) and returns the extended slice.
func (v *KVView) AppendTo(dst []byte) []byte {
	size := len(kvMagic) + 2*binary.MaxVarintLen64 + 4 + len(v.windows)*3*binary.MaxVarintLen64
	for k, val := range v.data {
		size += len(k) + len(val) + 4
	}
	for _, w := range v.windows {
		size += len(w.done) * binary.MaxVarintLen64
	}
	b := slices.Grow(dst, size)
	start := len(b)
	b = append(b, kvMagic...)
	b = binary.AppendUvarint(b, v.applied)
	b = binary.AppendUvarint(b, uint64(len(v.data)))
	for k, val := range v.data {
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		b = binary.AppendUvarint(b, uint64(len(val)))
		b = append(b, val...)
	}
	b = binary.AppendUvarint(b, uint64(len(v.windows)))
	for _, w := range v.windows {
		b = binary.AppendUvarint(b, w.client)
		b = binary.AppendUvarint(b, w.low)
		done := slices.Clone(w.done)
		slices.Sort(done)
		b = binary.AppendUvarint(b, uint64(len(done)))
		prev := w.low
		for _, id := range done {
			b = binary.AppendUvarint(b, id-prev)
			prev = id
		}
	}
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b[start:], kvCRC))
}

// KVSnapshotError is a snapshot payload that cannot be restored.
type KVSnapshotError struct{ Reason string }

func (e *KVSnapshotError) Error() string { return "kv snapshot: " + e.Reason }

// Restore replaces the state with a snapshot taken by Snapshot (or a JSON
// one of an earlier build). A damaged or truncated payload is an error and
// leaves the KV as it was.
func (kv *KV) Restore(b []byte) error {
	if len(b) > 0 && b[0] == '{' {
		return kv.restoreJSON(b)
	}
	if len(b) < len(kvMagic)+4 || string(b[:len(kvMagic)]) != kvMagic {
		return &KVSnapshotError{fmt.Sprintf("not a snapshot (%d bytes, no %s header)", len(b), kvMagic)}
	}
	body := b[:len(b)-4]
	if got, want := crc32.Checksum(body, kvCRC), binary.LittleEndian.Uint32(b[len(b)-4:]); got != want {
		return &KVSnapshotError{fmt.Sprintf("checksum mismatch over %d bytes (damaged or truncated)", len(b))}
	}
	// Keys and values are cut out of one string holding the whole body:
	// two allocations per key less (a million keys restored in a third of
	// the time), at the price of that string staying in memory while any
	// key or value restored from it does.
	all := string(body)
	d := kvDecoder{b: body[len(kvMagic):]}
	str := func() string {
		b := d.bytes()
		if b == nil {
			return ""
		}
		off := len(body) - len(d.b) - len(b)
		return all[off : off+len(b)]
	}
	applied := d.uvarint()
	nkeys := d.count(2)
	data := make(map[string]string, nkeys)
	for i := 0; i < nkeys && d.err == nil; i++ {
		k := str()
		data[k] = str()
	}
	nclients := d.count(3)
	r := &KV{data: data, applied: applied, clients: map[uint64]*clientWindow{}}
	for i := 0; i < nclients && d.err == nil; i++ {
		c := d.uvarint()
		w := r.window(c)
		w.low = d.uvarint()
		n := d.count(1)
		id := w.low
		for j := 0; j < n && d.err == nil; j++ {
			gap := d.uvarint()
			if gap == 0 {
				d.fail("client %d: out-of-order ids not increasing", c)
			}
			id += gap
			if w.done == nil {
				w.done = make(map[uint64]struct{}, n)
			}
			w.done[id] = struct{}{}
		}
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d bytes after the client windows", len(d.b))
	}
	if d.err != nil {
		return d.err
	}
	*kv = *r
	return nil
}

// kvDecoder reads the fields of a snapshot; after the first error every
// read returns zero and err stays set.
type kvDecoder struct {
	b   []byte
	err error
}

func (d *kvDecoder) fail(format string, a ...any) {
	if d.err == nil {
		d.err = &KVSnapshotError{fmt.Sprintf(format, a...)}
	}
	d.b = nil
}

func (d *kvDecoder) uvarint() uint64 {
	v, k := binary.Uvarint(d.b)
	if k <= 0 {
		d.fail("ends early or bad number")
		return 0
	}
	d.b = d.b[k:]
	return v
}

// count reads a number of items, each at least min bytes long, so that a
// damaged count cannot make Restore allocate beyond the payload.
func (d *kvDecoder) count(min int) int {
	n := d.uvarint()
	if n > uint64(len(d.b)/min) {
		d.fail("count %d exceeds the %d bytes left", n, len(d.b))
		return 0
	}
	return int(n)
}

func (d *kvDecoder) bytes() []byte {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail("string of %d bytes, %d left", n, len(d.b))
		return nil
	}
	out := d.b[:n]
	d.b = d.b[n:]
	return out
}

// The JSON snapshot of builds before the binary one.
type kvSnapshotJSON struct {
	Data    map[string]string `json:"data"`
	Clients map[uint64]struct {
		Low  uint64   `json:"low"`
		Done []uint64 `json:"done,omitempty"`
	} `json:"clients"`
	Applied uint64 `json:"applied"`
}

func (kv *KV) restoreJSON(b []byte) error {
	var s kvSnapshotJSON
	if err := json.Unmarshal(b, &s); err != nil {
		return &KVSnapshotError{"JSON snapshot: " + err.Error()}
	}
	r := &KV{data: s.Data, applied: s.Applied, clients: map[uint64]*clientWindow{}}
	if r.data == nil {
		r.data = map[string]string{}
	}
	for c, sw := range s.Clients {
		w := r.window(c)
		w.low = sw.Low
		for _, id := range sw.Done {
			if w.done == nil {
				w.done = map[uint64]struct{}{}
			}
			w.done[id] = struct{}{}
		}
	}
	*kv = *r
	return nil
}

// Equal reports whether two state machines hold the same data, windows
// and applied count (what a restore must reproduce).
func (kv *KV) Equal(o *KV) bool {
	a, b := kv.Freeze(), o.Freeze()
	defer kv.Thaw()
	defer o.Thaw()
	if a.applied != b.applied || len(a.data) != len(b.data) || len(a.windows) != len(b.windows) {
		return false
	}
	for k, v := range a.data {
		if w, ok := b.data[k]; !ok || w != v {
			return false
		}
	}
	wins := func(v *KVView) map[uint64]viewWindow {
		m := map[uint64]viewWindow{}
		for _, w := range v.windows {
			w.done = slices.Clone(w.done)
			slices.Sort(w.done)
			m[w.client] = w
		}
		return m
	}
	wa, wb := wins(a), wins(b)
	for c, w := range wa {
		x, ok := wb[c]
		if !ok || x.low != w.low || !slices.Equal(x.done, w.done) {
			return false
		}
	}
	return true
}
