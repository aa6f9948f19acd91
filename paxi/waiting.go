package paxi

// Waiting tracks the clients waiting at one replica, by command. A command
// is answered once: by a Reply (say a write acknowledged at commit) or by its
// execution, whichever comes first; Take returns false for the later one.
//
// Every replica asks it about every command it executes, and a leader adds
// every command it proposes, so it is on the hot path of every protocol. A
// map keyed by (client, command id) cost 10-15% of a replica's CPU at
// saturation: with thousands of commands in flight and constant deletes,
// each lookup probed a long way, and the replicas that hold no waiter for a
// command paid the most. Clients number their commands 1, 2, 3, ..., so
// Waiting keeps, per client, a ring indexed by the low bits of the command
// id, which holds a client's whole pipeline without a collision; the rare
// id that collides once the ring has reached ringMax goes to a small map.
type Waiting[T any] struct {
	clients map[uint64]*waitRing[T]
	n       int
	// idle is the slots held by the rings of clients with nothing waiting.
	// A pipelined client's ring empties now and then; dropping it at once
	// made it grow again, slot doubling by slot doubling, from the next
	// command on (a fifth of a replica's allocations at saturation). Empty
	// rings are kept until they hold idleMax slots, then all dropped, so
	// clients that come and go cannot pile up.
	idle int
	// last is the ring of lastID, the client looked up last. A pipelined
	// client's commands arrive, are batched and execute in runs, so most
	// lookups are for the same client as the one before, and the map
	// lookup (hashing the id) was most of their cost. last is nil whenever
	// rings may have been dropped.
	last   *waitRing[T]
	lastID uint64
}

// ring returns the ring of client c, or nil.
func (w *Waiting[T]) ring(c uint64) *waitRing[T] {
	if w.last != nil && w.lastID == c {
		return w.last
	}
	r := w.clients[c]
	if r != nil {
		w.last, w.lastID = r, c
	}
	return r
}

// idleMax bounds the slots of empty rings kept (1.5 MiB of slots for a
// pointer-sized T).
const idleMax = 1 << 16

type waitRing[T any] struct {
	slots []waitSlot[T] // by command id & (len-1)
	n     int           // used slots
	over  map[uint64]T  // ids whose slot was taken with the ring at ringMax
}

type waitSlot[T any] struct {
	id   uint64
	used bool
	v    T
}

const (
	ringMin = 16
	// ringMax bounds one client's ring (a ring doubles when two waiting
	// ids share a slot, so ids far apart would otherwise grow it without
	// limit).
	ringMax = 1 << 14
)

// Add registers a waiter for command k, replacing any earlier one.
func (w *Waiting[T]) Add(k CommandKey, v T) {
	if w.ringFor(k.ClientID).add(k.CommandID, v, true) {
		w.n++
	}
}

// AddNew registers a waiter for command k unless it has one, in one
// lookup, and reports whether it added it.
func (w *Waiting[T]) AddNew(k CommandKey, v T) bool {
	if w.ringFor(k.ClientID).add(k.CommandID, v, false) {
		w.n++
		return true
	}
	return false
}

// ringFor returns the ring of client c, made if it has none.
func (w *Waiting[T]) ringFor(c uint64) *waitRing[T] {
	r := w.ring(c)
	if r == nil {
		if w.clients == nil {
			w.clients = map[uint64]*waitRing[T]{}
		}
		r = &waitRing[T]{slots: make([]waitSlot[T], ringMin)}
		w.clients[c] = r
		w.last, w.lastID = r, c
	} else if r.empty() {
		w.idle -= len(r.slots)
	}
	return r
}

// add reports whether id is new; an id already there gets v only if
// replace.
func (r *waitRing[T]) add(id uint64, v T, replace bool) bool {
	if _, ok := r.over[id]; ok {
		// Its slot may have been freed since; it stays where it is.
		if replace {
			r.over[id] = v
		}
		return false
	}
	for {
		s := &r.slots[id&uint64(len(r.slots)-1)]
		switch {
		case !s.used:
			*s = waitSlot[T]{id: id, used: true, v: v}
			r.n++
			return true
		case s.id == id:
			if replace {
				s.v = v
			}
			return false
		case len(r.slots) < ringMax:
			r.grow()
		default:
			if r.over == nil {
				r.over = map[uint64]T{}
			}
			_, had := r.over[id]
			r.over[id] = v
			return !had
		}
	}
}

func (r *waitRing[T]) empty() bool { return r.n == 0 && r.over == nil }

// grow doubles the ring (up to ringMax), keeping its entries; two that
// shared a slot may share it again, and add then grows it further.
func (r *waitRing[T]) grow() {
	old := r.slots
	r.slots, r.n = make([]waitSlot[T], min(2*len(old), ringMax)), 0
	for _, s := range old {
		if s.used {
			r.add(s.id, s.v, true)
		}
	}
}

// Get returns the waiter for k, if any, and leaves it there.
func (w *Waiting[T]) Get(k CommandKey) (T, bool) {
	var zero T
	r := w.ring(k.ClientID)
	if r == nil {
		return zero, false
	}
	if s := &r.slots[k.CommandID&uint64(len(r.slots)-1)]; s.used && s.id == k.CommandID {
		return s.v, true
	}
	v, ok := r.over[k.CommandID]
	return v, ok
}

// Take removes and returns the waiter for k, if any.
func (w *Waiting[T]) Take(k CommandKey) (T, bool) {
	var zero T
	r := w.ring(k.ClientID)
	if r == nil {
		return zero, false
	}
	s := &r.slots[k.CommandID&uint64(len(r.slots)-1)]
	var v T
	switch {
	case s.used && s.id == k.CommandID:
		v = s.v
		*s = waitSlot[T]{}
		r.n--
	case r.over != nil:
		var ok bool
		if v, ok = r.over[k.CommandID]; !ok {
			return zero, false
		}
		delete(r.over, k.CommandID)
		if len(r.over) == 0 {
			r.over = nil
		}
	default:
		return zero, false
	}
	w.n--
	if r.empty() {
		w.idle += len(r.slots)
		if w.idle > idleMax {
			for c, r := range w.clients {
				if r.empty() {
					delete(w.clients, c)
				}
			}
			w.idle, w.last = 0, nil
		}
	}
	return v, true
}

// Len is the number of waiting commands.
func (w *Waiting[T]) Len() int { return w.n }

// Drain calls f for every waiter and forgets them all (used when a replica
// stops and its clients must be told).
func (w *Waiting[T]) Drain(f func(CommandKey, T)) {
	for c, r := range w.clients {
		for _, s := range r.slots {
			if s.used {
				f(CommandKey{ClientID: c, CommandID: s.id}, s.v)
			}
		}
		for id, v := range r.over {
			f(CommandKey{ClientID: c, CommandID: id}, v)
		}
	}
	*w = Waiting[T]{}
}
