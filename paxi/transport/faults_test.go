package transport

import (
	"math/rand"
	"sync"
	"testing"
	"time"

	"github.com/agora-consensus/agora/paxi"
)

// faultyPair returns a faulty transport for a and a plain one for b on an
// in-process network, closed when the test ends.
func faultyPair(t *testing.T) (*Faulty, Transport) {
	t.Helper()
	net := NewNetwork()
	fa := NewFaulty(net.Endpoint(a), a, rand.New(rand.NewSource(1)))
	tb := net.Endpoint(b)
	t.Cleanup(func() {
		fa.Close()
		tb.Close()
	})
	return fa, tb
}

func ping(to paxi.ID, seq uint64) paxi.Envelope {
	return paxi.Envelope{To: to, Msg: &Ping{Seq: seq}}
}

func seqOf(e paxi.Envelope) uint64 { return e.Msg.(*Ping).Seq }

func TestFaultyDropIsOneWayUntilUndrop(t *testing.T) {
	checkLeaks(t)
	fa, tb := faultyPair(t)
	fa.Drop(b)
	fa.Send(ping(b, 1))
	tb.Send(ping(a, 2))
	if e := recv(t, fa, time.Second); seqOf(e) != 2 {
		t.Fatalf("b to a: got %d", seqOf(e))
	}
	noRecv(t, tb, 20*time.Millisecond)
	fa.Undrop(b)
	fa.Send(ping(b, 3))
	if e := recv(t, tb, time.Second); seqOf(e) != 3 {
		t.Fatalf("after Undrop got %d", seqOf(e))
	}
}

func TestFaultyFlakyLosesAboutTheGivenFraction(t *testing.T) {
	checkLeaks(t)
	fa, tb := faultyPair(t)
	fa.Flaky(b, 0.3)
	const n = 4000
	for i := range n {
		fa.Send(ping(b, uint64(i)))
	}
	fa.Flaky(b, 0)
	fa.Send(ping(b, n)) // a marker: everything before it has arrived
	got := 0
	for seqOf(recv(t, tb, time.Second)) != n {
		got++
	}
	if lost := float64(n-got) / n; lost < 0.25 || lost > 0.35 {
		t.Fatalf("flaky link with p=0.3 lost %.3f of messages", lost)
	}
}

func TestFaultyDelayHoldsBackAndKeepsOrder(t *testing.T) {
	checkLeaks(t)
	fa, tb := faultyPair(t)
	const d = 50 * time.Millisecond
	fa.Delay(b, d)
	start := time.Now()
	for i := range 100 {
		fa.Send(ping(b, uint64(i)))
	}
	fa.Delay(b, 0)
	fa.Send(ping(b, 100)) // undelayed, but must not overtake the others
	for i := range 101 {
		if got := seqOf(recv(t, tb, time.Second)); got != uint64(i) {
			t.Fatalf("message %d arrived as %d", i, got)
		}
		if i == 0 && time.Since(start) < d {
			t.Fatalf("delayed message arrived after %v, before the %v delay", time.Since(start), d)
		}
	}
	fa.Send(ping(b, 101))
	if got := seqOf(recv(t, tb, time.Second)); got != 101 {
		t.Fatalf("got %d", got)
	}
}

func TestFaultyCrashStopsBothDirectionsUntilRecover(t *testing.T) {
	checkLeaks(t)
	fa, tb := faultyPair(t)
	fa.Delay(b, 20*time.Millisecond)
	fa.Send(ping(b, 0)) // in flight when a crashes: lost with it
	fa.Crash()
	fa.Send(ping(b, 1))
	tb.Send(ping(a, 2))
	noRecv(t, tb, 60*time.Millisecond)
	noRecv(t, fa, 20*time.Millisecond)
	fa.Recover()
	fa.Delay(b, 0)
	fa.Send(ping(b, 3))
	tb.Send(ping(a, 4))
	if got := seqOf(recv(t, tb, time.Second)); got != 3 {
		t.Fatalf("b got %d after Recover", got)
	}
	if got := seqOf(recv(t, fa, time.Second)); got != 4 {
		t.Fatalf("a got %d after Recover", got)
	}
}

func TestFaultyPartitionCutsBothDirectionsUntilHeal(t *testing.T) {
	checkLeaks(t)
	net := NewNetwork()
	fa := NewFaulty(net.Endpoint(a), a, nil)
	tb, tc := net.Endpoint(b), net.Endpoint(c)
	defer fa.Close()
	defer tb.Close()
	defer tc.Close()

	// Only a knows of the partition, and still b cannot reach it.
	if err := fa.Partition([]paxi.ID{a, c}, []paxi.ID{b}); err != nil {
		t.Fatal(err)
	}
	fa.Send(ping(b, 1))
	tb.Send(ping(a, 2))
	fa.Send(ping(c, 3))
	tc.Send(ping(a, 4))
	if got := seqOf(recv(t, tc, time.Second)); got != 3 {
		t.Fatalf("c got %d", got)
	}
	if got := seqOf(recv(t, fa, time.Second)); got != 4 {
		t.Fatalf("a got %d", got)
	}
	noRecv(t, tb, 20*time.Millisecond)

	// A replica named in no group is alone.
	if err := fa.Partition([]paxi.ID{a, b}); err != nil {
		t.Fatal(err)
	}
	fa.Send(ping(c, 5))
	fa.Send(ping(b, 6))
	if got := seqOf(recv(t, tb, time.Second)); got != 6 {
		t.Fatalf("b got %d", got)
	}
	noRecv(t, tc, 20*time.Millisecond)

	fa.Heal()
	fa.Send(ping(c, 7))
	if got := seqOf(recv(t, tc, time.Second)); got != 7 {
		t.Fatalf("c got %d after Heal", got)
	}
	if err := fa.Partition([]paxi.ID{a}, []paxi.ID{b, a}); err == nil {
		t.Fatal("a partition naming a replica twice was accepted")
	}
}

func TestFaultyIsSafeUnderConcurrentControl(t *testing.T) {
	checkLeaks(t)
	fa, tb := faultyPair(t)
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			fa.Send(ping(b, uint64(i)))
		}
	}()
	go func() {
		defer wg.Done()
		defer close(done)
		for i := range 3000 {
			switch i % 6 {
			case 0:
				fa.Drop(b)
			case 1:
				fa.Undrop(b)
			case 2:
				fa.Flaky(b, 0.5)
			case 3:
				fa.Delay(b, time.Millisecond)
			case 4:
				fa.Crash()
				fa.Recover()
			case 5:
				fa.Partition([]paxi.ID{a}, []paxi.ID{b})
				fa.Faults()
				fa.Clear()
			}
		}
	}()
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		for range tb.Inbox() {
		}
	}()
	wg.Wait()
	tb.Close()
	<-drained
}
