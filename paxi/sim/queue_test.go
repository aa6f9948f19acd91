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
