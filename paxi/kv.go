package paxi

// KV is the key-value state machine every protocol replicates. It executes
// each (client, command id) at most once: a command seen again (re-proposed
// after a recovery, say) is skipped and answered with its first result, so a
// protocol that decides the same client command twice cannot apply it twice.
// KV is not safe for concurrent use; its owner (the node runtime or the
// simulator) calls it from one goroutine.
type KV struct {
	data map[string]string
	// frozen, while a view taken by Freeze is out, is the data as it was
	// then, which the view reads from another goroutine and nobody
	// writes; data holds only the writes since, and deleted the keys of
	// frozen deleted since. Thaw folds them back into one map.
	frozen  map[string]string
	deleted map[string]struct{}
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
			v, _ := kv.Get(c.Key)
			return Result{Value: v, Duplicate: true}
		}
		return Result{Duplicate: true}
	}
	kv.applied++
	switch c.Op {
	case Get:
		v, _ := kv.Get(c.Key)
		return Result{Value: v}
	case Put:
		kv.data[c.Key] = c.Value
		if kv.frozen != nil {
			delete(kv.deleted, c.Key)
		}
	case Delete:
		delete(kv.data, c.Key)
		if kv.frozen != nil {
			if _, ok := kv.frozen[c.Key]; ok {
				kv.deleted[c.Key] = struct{}{}
			}
		}
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
	if ok || kv.frozen == nil {
		return v, ok
	}
	if _, gone := kv.deleted[key]; gone {
		return "", false
	}
	v, ok = kv.frozen[key]
	return v, ok
}

// Len is the number of keys present.
func (kv *KV) Len() int {
	if kv.frozen == nil {
		return len(kv.data)
	}
	n := len(kv.frozen) - len(kv.deleted)
	for k := range kv.data {
		if _, old := kv.frozen[k]; !old {
			n++
		}
	}
	return n
}

// Applied counts commands that changed or read state, duplicates excluded.
func (kv *KV) Applied() uint64 { return kv.applied }
