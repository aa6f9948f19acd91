package sim

import (
	"time"

	"github.com/agora-consensus/agora/paxi"
)

// eventKind says what an event does when its time comes.
type eventKind uint8

const (
	evDeliver eventKind = iota + 1 // a message reaches replica to
	evRequest                      // a client command reaches replica to
	evReply                        // a reply reaches client to
	evRun                          // replica to's CPU is free to take queued inputs
	evTick                         // replica to's tick timer fires
	evIssue                        // client to sends its next command after thinking
	evCall                         // a scheduled function (a fault, a scenario step)
)

// event is one thing that happens at one virtual time. The fields used
// depend on the kind; keeping one flat struct in a slab (rather than an
// interface per kind) keeps the hot path free of allocations.
type event struct {
	kind      eventKind
	to        int32         // replica or client index
	from      int32         // sending replica index, or -1
	epoch     uint32        // incarnation of the target the event was meant for
	fromEpoch uint32        // incarnation of the sender when it sent
	n         uint64        // command id (requests and replies)
	depart    time.Duration // when a message left its sender
	msg       paxi.Message  // the message, for evDeliver
	str       string        // a reply's value or error, for evReply
	leader    int32         // evReply: replica to retry at, or -1
	isErr     bool          // evReply: str is an error
	fn        func()        // evCall
}

// item orders events: by time, then by the order they were scheduled, so
// that simultaneous events always run in the same order.
type item struct {
	at   time.Duration
	seq  uint64
	slot int32
}

func (a item) before(b item) bool {
	return a.at < b.at || (a.at == b.at && a.seq < b.seq)
}

// queue is a 4-ary min-heap of items whose events live in a slab reused
// through a free list, so that scheduling an event does not allocate once
// the slab has grown to the run's working set. Four children per node halve
// the depth of a binary heap, and popping (the common operation: every
// event is pushed once and popped once) walks down fewer, cache-friendlier
// levels.
type queue struct {
	heap []item
	slab []event
	free []int32
	seq  uint64
}

func (q *queue) Len() int { return len(q.heap) }

// push schedules e at time at.
func (q *queue) push(at time.Duration, e event) {
	var slot int32
	if n := len(q.free); n > 0 {
		slot = q.free[n-1]
		q.free = q.free[:n-1]
		q.slab[slot] = e
	} else {
		slot = int32(len(q.slab))
		q.slab = append(q.slab, e)
	}
	q.seq++
	q.heap = append(q.heap, item{at: at, seq: q.seq, slot: slot})
	q.up(len(q.heap) - 1)
}

// peek returns the time of the earliest event; ok is false when empty.
func (q *queue) peek() (time.Duration, bool) {
	if len(q.heap) == 0 {
		return 0, false
	}
	return q.heap[0].at, true
}

// pop removes the earliest event and copies it into e.
func (q *queue) pop(e *event) time.Duration {
	top := q.heap[0]
	last := len(q.heap) - 1
	q.heap[0] = q.heap[last]
	q.heap = q.heap[:last]
	if last > 0 {
		q.down(0)
	}
	*e = q.slab[top.slot]
	// Clearing the slot drops its references so the collector can free
	// delivered messages.
	q.slab[top.slot] = event{}
	q.free = append(q.free, top.slot)
	return top.at
}

func (q *queue) up(i int) {
	h := q.heap
	x := h[i]
	for i > 0 {
		p := (i - 1) / 4
		if !x.before(h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = x
}

func (q *queue) down(i int) {
	h := q.heap
	n := len(h)
	x := h[i]
	for {
		first := 4*i + 1
		if first >= n {
			break
		}
		c := first
		for k := first + 1; k < first+4 && k < n; k++ {
			if h[k].before(h[c]) {
				c = k
			}
		}
		if !h[c].before(x) {
			break
		}
		h[i] = h[c]
		i = c
	}
	h[i] = x
}
