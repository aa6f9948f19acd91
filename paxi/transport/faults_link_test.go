package transport

import (
	"testing"
	"time"
)

// The emulated latency holds every message back, survives Clear and Set
// (the fault API's heal), and adds to an injected delay.
func TestFaultyLinkDelayIsNotAFault(t *testing.T) {
	checkLeaks(t)
	fa, tb := faultyPair(t)
	const d = 80 * time.Millisecond
	fa.SetLinkDelay(b, d)
	fa.Clear()
	if err := fa.Set(Faults{}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	fa.Send(ping(b, 0))
	recv(t, tb, time.Second)
	if took := time.Since(start); took < d {
		t.Fatalf("message arrived after %v, before the emulated %v", took, d)
	}
	fa.Delay(b, d)
	start = time.Now()
	fa.Send(ping(b, 1))
	recv(t, tb, time.Second)
	if took := time.Since(start); took < 2*d {
		t.Fatalf("message arrived after %v; the fault's delay should add to the link's (%v)", took, 2*d)
	}
	fa.Delay(b, 0)
	fa.SetLinkDelay(b, 0)
	start = time.Now()
	fa.Send(ping(b, 2))
	recv(t, tb, time.Second)
	if took := time.Since(start); took >= d {
		t.Fatalf("message took %v with the link delay removed", took)
	}
}
