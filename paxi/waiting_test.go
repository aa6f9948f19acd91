package paxi

import (
	"flag"
	"math/rand"
	"testing"
)

var waitingSeed = flag.Int64("waiting-seed", 1, "seed of TestWaitingAgreesWithAMap")

// TestWaitingAgreesWithAMap drives Waiting and a plain map with the same
// random adds and takes: pipelined clients with consecutive ids, a client
// whose ids are random (they collide in the ring and overflow), one whose
// oldest command never finishes while its ids run far ahead, and one-shot
// clients; every answer (Get, then Take, AddNew), Len and the final Drain
// must agree.
func TestWaitingAgreesWithAMap(t *testing.T) {
	seed := *waitingSeed
	rng := rand.New(rand.NewSource(seed))
	fail := func(step int, format string, args ...any) {
		t.Helper()
		t.Fatalf("seed %d step %d: "+format+"\nreplay: go test ./paxi/ -run TestWaitingAgreesWithAMap -waiting-seed %d",
			append(append([]any{seed, step}, args...), seed)...)
	}
	var w Waiting[int]
	model := map[CommandKey]int{}
	next := map[uint64]uint64{}
	newID := func(client uint64) uint64 {
		switch client {
		case 7: // random ids, colliding in every ring size
			return rng.Uint64()>>uint(rng.Intn(64)) | 1<<20*uint64(rng.Intn(2))
		case 8: // an old command stays while ids run on
			if next[client] == 0 {
				next[client] = 1
				return 1
			}
			next[client] += uint64(1 + rng.Intn(3))
			return next[client] + ringMax
		default:
			next[client]++
			return next[client]
		}
	}
	for step := 0; step < 300000; step++ {
		client := uint64(1 + rng.Intn(9))
		if client == 9 {
			client = 100 + uint64(step) // one-shot
		}
		if rng.Intn(2) == 0 || len(model) == 0 {
			k := CommandKey{ClientID: client, CommandID: newID(client)}
			if rng.Intn(50) == 0 && len(model) > 0 {
				for mk := range model { // add again: replaces
					k = mk
					break
				}
			}
			if _, had := model[k]; rng.Intn(3) == 0 {
				// AddNew leaves a waiter there as it is.
				if added := w.AddNew(k, step); added == had {
					fail(step, "AddNew(%v) = %v with a waiter there: %v", k, added, had)
				}
				if !had {
					model[k] = step
				}
			} else {
				w.Add(k, step)
				model[k] = step
			}
		} else {
			// Take a waiting command, or one that is not waiting.
			var k CommandKey
			if rng.Intn(4) == 0 {
				k = CommandKey{ClientID: client, CommandID: rng.Uint64()}
			} else {
				for mk := range model {
					k = mk
					break
				}
			}
			mv, mok := model[k]
			if v, ok := w.Get(k); ok != mok || v != mv {
				fail(step, "Get(%v) = %d, %v; model has %d, %v", k, v, ok, mv, mok)
			}
			v, ok := w.Take(k)
			if ok != mok || v != mv {
				fail(step, "Take(%v) = %d, %v; model has %d, %v", k, v, ok, mv, mok)
			}
			delete(model, k)
		}
		if w.Len() != len(model) {
			fail(step, "Len = %d, model has %d", w.Len(), len(model))
		}
	}
	drained := map[CommandKey]int{}
	w.Drain(func(k CommandKey, v int) { drained[k] = v })
	if len(drained) != len(model) {
		t.Fatalf("seed %d: Drain gave %d waiters, model has %d", seed, len(drained), len(model))
	}
	for k, v := range model {
		if drained[k] != v {
			t.Fatalf("seed %d: Drain gave %v = %d, model has %d", seed, k, drained[k], v)
		}
	}
	if w.Len() != 0 {
		t.Fatalf("seed %d: Len %d after Drain", seed, w.Len())
	}
}

// TestWaitingForgetsIdleClients: clients with nothing waiting are dropped
// once their rings add up to idleMax slots, so one-shot clients cannot
// accumulate, while a client that keeps coming back keeps its grown ring.
func TestWaitingForgetsIdleClients(t *testing.T) {
	var w Waiting[int]
	// A pipelined client: its ring grows to hold 1000 commands, then empties.
	for id := uint64(1); id <= 1000; id++ {
		w.Add(CommandKey{ClientID: 1, CommandID: id}, 0)
	}
	for id := uint64(1); id <= 1000; id++ {
		w.Take(CommandKey{ClientID: 1, CommandID: id})
	}
	grown := len(w.clients[1].slots)
	for c := uint64(2); c <= 100000; c++ {
		k := CommandKey{ClientID: c, CommandID: 1}
		w.Add(k, 1)
		if _, ok := w.Take(k); !ok {
			t.Fatalf("client %d: added command not found", c)
		}
		if len(w.clients)*ringMin > idleMax+grown+ringMin {
			t.Fatalf("after %d one-shot clients, %d clients remembered", c, len(w.clients))
		}
		if c == 100 && len(w.clients[1].slots) != grown {
			t.Fatalf("the pipelined client's ring was dropped while few rings were idle")
		}
	}
	if w.Len() != 0 {
		t.Fatalf("%d waiters remembered after every command was taken", w.Len())
	}
}

// A client whose empty ring was just dropped with the other idle ones, and
// that was the one looked up last, still finds what it adds next: the
// lookup cache does not hand out the dropped ring.
func TestWaitingAfterIdleRingsAreDropped(t *testing.T) {
	var w Waiting[int]
	other := CommandKey{ClientID: 1 << 40, CommandID: 1}
	w.Add(other, 0) // a client that always has something waiting
	for c := uint64(1); c <= 2*idleMax/ringMin; c++ {
		k := CommandKey{ClientID: c, CommandID: 1}
		w.Add(k, 1)
		w.Take(k) // drops every idle ring, this one's too, now and then
		again := CommandKey{ClientID: c, CommandID: 2}
		w.Add(again, 2)
		w.Get(other) // looks up another client
		if v, ok := w.Get(again); !ok || v != 2 {
			t.Fatalf("client %d: Get after an add = %d, %v, want 2, true", c, v, ok)
		}
		w.Take(again)
	}
}

func BenchmarkWaitingPipelined(b *testing.B) {
	var w Waiting[int]
	const depth = 1024
	for id := uint64(1); id <= depth; id++ {
		w.Add(CommandKey{ClientID: 42, CommandID: id}, 0)
	}
	id := uint64(depth)
	for b.Loop() {
		id++
		w.Add(CommandKey{ClientID: 42, CommandID: id}, 0)
		w.Take(CommandKey{ClientID: 42, CommandID: id - depth})
		w.Take(CommandKey{ClientID: 43, CommandID: id}) // another replica's command
	}
}
