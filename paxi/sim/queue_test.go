package sim

import (
	"fmt"
	"math/rand"
	"sort"
	"testing"
	"time"
)

func TestQueueOrdersByTimeThenSchedule(t *testing.T) {
	var q queue
	rng := rand.New(rand.NewSource(1))
	type ev struct {
		at time.Duration
		n  uint64
	}
	var want []ev
	for i := 0; i < 5000; i++ {
		at := time.Duration(rng.Intn(100))
		q.push(at, event{n: uint64(i)})
		want = append(want, ev{at, uint64(i)})
		if i%7 == 0 {
			// Interleave pops with pushes, as a run does.
			sort.SliceStable(want, func(a, b int) bool { return want[a].at < want[b].at })
			var e event
			got := q.pop(&e)
			if got != want[0].at || e.n != want[0].n {
				t.Fatalf("pop %d: got (%v, %d), want %v", i, got, e.n, want[0])
			}
			want = want[1:]
		}
	}
	sort.SliceStable(want, func(a, b int) bool { return want[a].at < want[b].at })
	for _, w := range want {
		var e event
		if got := q.pop(&e); got != w.at || e.n != w.n {
			t.Fatalf("got (%v, %d), want %v", got, e.n, w)
		}
	}
	if q.Len() != 0 {
		t.Fatal("queue not empty")
	}
}

// BenchmarkQueue pops and pushes with a steady number of pending events, as
// a run does: each popped event schedules one more a random delay later.
func BenchmarkQueue(b *testing.B) {
	for _, pending := range []int{1000, 20000} {
		b.Run(fmt.Sprintf("pending=%d", pending), func(b *testing.B) {
			var q queue
			rng := rand.New(rand.NewSource(1))
			for i := 0; i < pending; i++ {
				q.push(time.Duration(rng.Intn(1e8)), event{n: uint64(i)})
			}
			var e event
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				now := q.pop(&e)
				q.push(now+time.Duration(rng.Intn(1e8)), event{kind: evDeliver, n: e.n})
			}
		})
	}
}

// The queue pops exactly in (time, scheduling order), as a run schedules:
// mostly after the current time, often at the same time, now and then
// (from a test's At, say) before it.
func TestQueueMatchesReferenceOrder(t *testing.T) {
	for seed := int64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewSource(seed))
		var q queue
		type ref struct {
			at time.Duration
			n  uint64
		}
		var pending []ref
		var now time.Duration
		n := uint64(0)
		for step := 0; step < 20000; step++ {
			if len(pending) == 0 || rng.Intn(100) < 55 {
				var at time.Duration
				switch r := rng.Intn(100); {
				case r < 10:
					at = now
				case r < 12:
					at = now - time.Duration(rng.Intn(1000))
				case r < 20:
					at = now + time.Duration(rng.Intn(4))
				default:
					at = now + time.Duration(rng.Int63n(1<<uint(rng.Intn(40))))
				}
				n++
				q.push(at, event{n: n})
				pending = append(pending, ref{at, n})
				continue
			}
			m := 0
			for i, p := range pending {
				if p.at < pending[m].at || (p.at == pending[m].at && p.n < pending[m].n) {
					m = i
				}
			}
			want := pending[m]
			pending = append(pending[:m], pending[m+1:]...)
			if at, ok := q.peek(); !ok || at != want.at {
				t.Fatalf("seed %d step %d: peek %v, want %v", seed, step, at, want.at)
			}
			var e event
			if got := q.pop(&e); got != want.at || e.n != want.n {
				t.Fatalf("seed %d step %d: got (%v, %d), want %v", seed, step, got, e.n, want)
			}
			now = want.at
			if q.Len() != len(pending) {
				t.Fatalf("seed %d: Len %d, want %d", seed, q.Len(), len(pending))
			}
		}
	}
}
