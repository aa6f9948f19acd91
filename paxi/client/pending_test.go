package client

import (
	"math/rand"
	"testing"
	"time"
)

// TestPendingSetKeepsEveryCommand: commands answered out of order, one
// never answered while more than the ring's size come after it, and one
// taken twice; every waiter comes back exactly once, by its own id.
func TestPendingSetKeepsEveryCommand(t *testing.T) {
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewSource(seed))
	var p pendingSet
	open := map[uint64]bool{}
	p.put(1, waiter{tag: 1}) // stuck until the end
	open[1] = true
	for id := uint64(2); id < 3*ringMax; id++ {
		p.put(id, waiter{tag: int64(id)})
		open[id] = true
		// Keep a window of a few thousand in flight, answered in random order.
		for len(open) > 3000 {
			for k := range open {
				if k == 1 {
					continue
				}
				w, ok := p.take(k)
				if !ok || w.tag != int64(k) {
					t.Fatalf("seed %d: take(%d) = %v %v", seed, k, w.tag, ok)
				}
				delete(open, k)
				if _, again := p.take(k); again {
					t.Fatalf("seed %d: %d taken twice", seed, k)
				}
				if rng.Intn(2) == 0 {
					break
				}
			}
		}
	}
	if w, ok := p.take(1); !ok || w.tag != 1 {
		t.Fatalf("seed %d: the stuck command is gone", seed)
	}
	delete(open, 1)
	if p.count != len(open) || len(p.all()) != len(open) {
		t.Fatalf("seed %d: count %d, %d open", seed, p.count, len(open))
	}
	if len(p.ring) > ringMax {
		t.Fatalf("ring grew to %d", len(p.ring))
	}
}
