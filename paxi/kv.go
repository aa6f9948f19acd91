package paxi

import (
	"encoding/json"
	"sort"
)

// KV is the key-value state machine every protocol replicates. It executes
// each (client, command id) at most once: a command seen again (re-proposed
// after a recovery, say) is skipped and answered with its first result, so a
// protocol that decides the same client command twice cannot apply it twice.
// KV is not safe for concurrent use; its owner (the node runtime or the
// simulator) calls it from one goroutine.
type KV struct {
	data map[string]string
	// dense holds the windows of client ids below denseClients, indexed by
	// id, and clients those of larger ids. The simulator and the benchmark
	// number their clients 1, 2, 3, ..., and every replica consults the
	// window of every command it executes, so a slice index instead of a
	// map lookup matters; a zero window is a client never seen.
	dense   []clientWindow
	clients map[uint64]*clientWindow
	applied uint64 // commands applied, duplicates excluded
}

// denseClients bounds the client ids kept in KV.dense (1 MiB of windows at
// most); ids drawn at random from the whole uint64 range go to the map.
const denseClients = 1 << 16

// clientWindow remembers which of one client's command ids have executed:
// every id <= low, plus the ids above low in done. Clients number their
// commands 1, 2, 3, ... so done stays as small as the client's pipeline.
type clientWindow struct {
	low  uint64
	done map[uint64]struct{} // nil until an id arrives out of order
}

// NewKV returns an empty state machine.
func NewKV() *KV {
	return &KV{data: map[string]string{}, clients: map[uint64]*clientWindow{}}
}

// Result is the outcome of applying one command.
type Result struct {
	Value     string // for Get: the value read ("" if absent)
	Duplicate bool   // the command had already executed; nothing changed
}

// Apply executes c and returns its result.
func (kv *KV) Apply(c Command) Result {
	if c.Op == Noop {
		return Result{}
	}
	if c.ClientID != 0 && c.CommandID != 0 && !kv.firstTime(c.ClientID, c.CommandID) {
		if c.Op == Get {
			// A re-executed read is harmless and its caller wants a value.
			return Result{Value: kv.data[c.Key], Duplicate: true}
		}
		return Result{Duplicate: true}
	}
	kv.applied++
	switch c.Op {
	case Get:
		return Result{Value: kv.data[c.Key]}
	case Put:
		kv.data[c.Key] = c.Value
	case Delete:
		delete(kv.data, c.Key)
	}
	return Result{}
}

// window returns the window of client, creating it if needed. The pointer
// is valid until the next call.
func (kv *KV) window(client uint64) *clientWindow {
	if client < denseClients {
		if client >= uint64(len(kv.dense)) {
			kv.dense = append(kv.dense, make([]clientWindow, int(client)+1-len(kv.dense))...)
		}
		return &kv.dense[client]
	}
	w := kv.clients[client]
	if w == nil {
		w = &clientWindow{}
		kv.clients[client] = w
	}
	return w
}

// firstTime records (client, id) as executed and reports whether it was new.
func (kv *KV) firstTime(client, id uint64) bool {
	w := kv.window(client)
	if id <= w.low {
		return false
	}
	if id == w.low+1 {
		// The common case, ids arriving in order, never touches the set.
		w.low++
	} else {
		if _, seen := w.done[id]; seen {
			return false
		}
		if w.done == nil {
			w.done = map[uint64]struct{}{}
		}
		w.done[id] = struct{}{}
	}
	for len(w.done) > 0 {
		if _, ok := w.done[w.low+1]; !ok {
			break
		}
		delete(w.done, w.low+1)
		w.low++
	}
	return true
}

// Get reads a key without going through replication (for tests and debugging).
func (kv *KV) Get(key string) (string, bool) {
	v, ok := kv.data[key]
	return v, ok
}

// Len is the number of keys present.
func (kv *KV) Len() int { return len(kv.data) }

// Applied counts commands that changed or read state, duplicates excluded.
func (kv *KV) Applied() uint64 { return kv.applied }

type kvSnapshot struct {
	Data    map[string]string  `json:"data"`
	Clients map[uint64]snapWin `json:"clients"`
	Applied uint64             `json:"applied"`
}

type snapWin struct {
	Low  uint64   `json:"low"`
	Done []uint64 `json:"done,omitempty"`
}

// Snapshot serializes the whole state, at-most-once bookkeeping included.
func (kv *KV) Snapshot() ([]byte, error) {
	s := kvSnapshot{Data: kv.data, Clients: map[uint64]snapWin{}, Applied: kv.applied}
	add := func(c uint64, w *clientWindow) {
		sw := snapWin{Low: w.low}
		for id := range w.done {
			sw.Done = append(sw.Done, id)
		}
		sort.Slice(sw.Done, func(i, j int) bool { return sw.Done[i] < sw.Done[j] })
		s.Clients[c] = sw
	}
	for c := range kv.dense {
		if w := &kv.dense[c]; w.low != 0 || len(w.done) > 0 {
			add(uint64(c), w)
		}
	}
	for c, w := range kv.clients {
		add(c, w)
	}
	return json.Marshal(s)
}

// Restore replaces the state with a snapshot taken by Snapshot.
func (kv *KV) Restore(b []byte) error {
	var s kvSnapshot
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	kv.data = s.Data
	if kv.data == nil {
		kv.data = map[string]string{}
	}
	kv.applied = s.Applied
	kv.dense, kv.clients = nil, map[uint64]*clientWindow{}
	for c, sw := range s.Clients {
		w := kv.window(c)
		w.low = sw.Low
		for _, id := range sw.Done {
			if w.done == nil {
				w.done = map[uint64]struct{}{}
			}
			w.done[id] = struct{}{}
		}
	}
	return nil
}
