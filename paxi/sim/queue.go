package sim

import (
	"cmp"
	"math/bits"
	"slices"
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

// key maps a time to an unsigned number with the same order.
func key(at time.Duration) uint64 { return uint64(at) ^ 1<<63 }

// queue is a radix heap of items whose events live in a slab reused
// through a free list, so that scheduling an event does not allocate once
// the slab has grown to the run's working set.
//
// A radix heap relies on what a discrete-event simulation guarantees:
// nothing is scheduled before the last event taken. Items sit in bucket
// bits.Len64(key(at) ^ last), where last is the time of the last event
// taken, so every item of a bucket comes before every item of the next
// one. Pushing appends to a bucket; popping takes from bucket 0 (the items
// at exactly the last time, in scheduling order) or, when it is empty,
// finds the earliest item of the first non-empty bucket, makes its time
// the new last and redistributes that bucket into lower ones. An item moves
// down a few times at most, and unlike a binary heap no step compares
// times in an unpredictable order, which made the heap a tenth of the
// simulator's time. Anything scheduled in the past (never, in a run)
// goes to a small heap of its own, which pops first, so the order stays
// exactly (time, sequence) whatever the caller does.
type queue struct {
	buckets  [65][]item
	nonEmpty uint64 // bit i-1 set when buckets[i] (i >= 1) holds items
	head     int    // next item of buckets[0]
	last     uint64 // key of the last time popped
	past     []item // binary heap of items scheduled before last
	n        int    // items queued
	slab     []event
	free     []int32
	seq      uint64
}

func (q *queue) Len() int { return q.n }

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
	q.n++
	it := item{at: at, seq: q.seq, slot: slot}
	k := key(at)
	if k < q.last {
		q.past = append(q.past, it)
		up(q.past, len(q.past)-1)
		return
	}
	q.put(it, k)
}

// put files an item at or after last into its bucket.
func (q *queue) put(it item, k uint64) {
	b := bits.Len64(k ^ q.last)
	q.buckets[b] = append(q.buckets[b], it)
	if b > 0 {
		q.nonEmpty |= 1 << (b - 1)
	}
}

// peek returns the time of the earliest event; ok is false when empty.
func (q *queue) peek() (time.Duration, bool) {
	if q.n == 0 {
		return 0, false
	}
	if len(q.past) > 0 {
		return q.past[0].at, true
	}
	q.settle()
	return q.buckets[0][q.head].at, true
}

// settle makes bucket 0 hold the earliest items if it is empty and the
// other buckets are not.
func (q *queue) settle() {
	if q.head < len(q.buckets[0]) || q.nonEmpty == 0 {
		return
	}
	clear(q.buckets[0])
	q.buckets[0], q.head = q.buckets[0][:0], 0
	b := bits.TrailingZeros64(q.nonEmpty) + 1
	src := q.buckets[b]
	m := 0
	for i := 1; i < len(src); i++ {
		if src[i].before(src[m]) {
			m = i
		}
	}
	q.last = key(src[m].at)
	q.buckets[b] = src[:0]
	q.nonEmpty &^= 1 << (b - 1)
	for _, it := range src {
		q.put(it, key(it.at))
	}
	clear(src)
	// The items now at exactly the last time came from one bucket in no
	// particular order; those scheduled later at that time will have
	// larger sequence numbers, so sorting these once keeps the order.
	if z := q.buckets[0]; len(z) > 1 {
		slices.SortFunc(z, func(a, b item) int { return cmp.Compare(a.seq, b.seq) })
	}
}

// pop removes the earliest event and copies it into e.
func (q *queue) pop(e *event) time.Duration {
	at, slot := q.take()
	*e = q.slab[slot]
	q.release(slot)
	return at
}

// take removes the earliest event from the order and returns its time and
// slot; the event stays in q.slab[slot], where the simulator runs it
// without copying it out, until release.
func (q *queue) take() (time.Duration, int32) {
	var top item
	if len(q.past) > 0 {
		top = q.past[0]
		last := len(q.past) - 1
		q.past[0] = q.past[last]
		q.past = q.past[:last]
		if last > 0 {
			down(q.past, 0)
		}
	} else {
		q.settle()
		top = q.buckets[0][q.head]
		q.head++
	}
	q.n--
	return top.at, top.slot
}

// release frees the slot of an event taken and run. Clearing it drops its
// references so the collector can free delivered messages.
func (q *queue) release(slot int32) {
	q.slab[slot] = event{}
	q.free = append(q.free, slot)
}

func up(h []item, i int) {
	x := h[i]
	for i > 0 {
		p := (i - 1) / 2
		if !x.before(h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = x
}

func down(h []item, i int) {
	n := len(h)
	x := h[i]
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && h[c+1].before(h[c]) {
			c++
		}
		if !h[c].before(x) {
			break
		}
		h[i] = h[c]
		i = c
	}
	h[i] = x
}
