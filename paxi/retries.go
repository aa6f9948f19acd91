package paxi

// Retries keeps the commands a replica's clients gave it until the replica
// executes them, so that the replica can try again with those whose first
// try was lost (a forward dropped, a proposal whose slot went to someone
// else). Protocols use it from their single goroutine.
type Retries struct {
	list  []retry        // in the order added
	index Waiting[int32] // position in list of those not executed
}

type retry struct {
	cmd  Command
	sent int64 // tick of the last try
	done bool  // executed; dropped at the next compaction
}

// Add keeps c, tried at tick now, unless it is already kept.
func (q *Retries) Add(c Command, now int64) {
	if q.index.AddNew(c.Ident(), int32(len(q.list))) {
		q.list = append(q.list, retry{cmd: c, sent: now})
	}
}

// Has reports whether command k is kept (not executed yet).
func (q *Retries) Has(k CommandKey) bool {
	_, ok := q.index.Get(k)
	return ok
}

// Done forgets command k: it executed. It reports whether k was kept.
func (q *Retries) Done(k CommandKey) bool {
	i, ok := q.index.Take(k)
	if ok {
		q.list[i].done = true
	}
	return ok
}

// Len is the number of commands kept.
func (q *Retries) Len() int { return q.index.Len() }

// Due calls try, oldest first, for the commands last tried at least after
// ticks before now, and counts them tried at now; a call for which try
// returns false (the command is still under way, say) is not counted. It
// stops after limit counted calls.
func (q *Retries) Due(now, after int64, limit int, try func(Command) bool) {
	q.compact()
	n := 0
	for i := range q.list {
		r := &q.list[i]
		if r.done || now-r.sent < after {
			continue
		}
		if n == limit {
			return
		}
		if try(r.cmd) {
			r.sent = now
			n++
		}
	}
}

// All calls f for every command kept, oldest first, and counts them tried
// at now.
func (q *Retries) All(now int64, f func(Command)) {
	for i := range q.list {
		if r := &q.list[i]; !r.done {
			r.sent = now
			f(r.cmd)
		}
	}
}

// compact drops executed commands once they are the majority of the list.
func (q *Retries) compact() {
	if q.index.Len()*2 > len(q.list) {
		return
	}
	live := q.list[:0]
	for _, r := range q.list {
		if !r.done {
			q.index.Add(r.cmd.Ident(), int32(len(live)))
			live = append(live, r)
		}
	}
	clear(q.list[len(live):])
	q.list = live
}
