package sim

import "github.com/agora-consensus/agora/paxi"

// waiters tracks the clients waiting at one replica, as paxi.Waiting does,
// but indexed by client: every replica executes every command and asks
// whether a client waits here for it, and a slice index answers that for
// a fraction of the cost of a map lookup. A client's commands reach a
// replica in increasing id order, so the slice holds the latest one; an
// older command still waiting when a newer one arrives (its client got the
// answer elsewhere, or retried) moves to the map, so that nothing differs
// from one map of every waiting command.
type waiters struct {
	cmd   []uint64            // by client index: the latest command waiting here, 0 if none
	older paxi.Waiting[int32] // earlier commands displaced from cmd
}

// add registers client k (whose ClientID is k+1) as waiting for command n.
func (w *waiters) add(k int32, n uint64) {
	if int(k) >= len(w.cmd) {
		w.cmd = append(w.cmd, make([]uint64, int(k)+1-len(w.cmd))...)
	}
	if m := w.cmd[k]; m != 0 && m != n {
		w.older.Add(paxi.CommandKey{ClientID: uint64(k) + 1, CommandID: m}, k)
	}
	w.cmd[k] = n
}

// latest reports whether command key is the latest one waiting here; a
// client waiting for it now is always waiting for its latest command.
func (w *waiters) latest(key paxi.CommandKey) bool {
	k := key.ClientID - 1
	return key.CommandID != 0 && k < uint64(len(w.cmd)) && w.cmd[k] == key.CommandID
}

// take removes the waiter for key and returns its client, if any.
func (w *waiters) take(key paxi.CommandKey) (int32, bool) {
	if w.latest(key) {
		k := int32(key.ClientID - 1)
		w.cmd[k] = 0
		return k, true
	}
	if w.older.Len() == 0 {
		return 0, false
	}
	return w.older.Take(key)
}
