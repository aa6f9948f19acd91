package sim

import (
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
