package transport

import (
	"strings"
	"testing"
	"time"

	"github.com/agora-consensus/agora/paxi"
)

func TestChannelDeliversByPointerInFIFOOrder(t *testing.T) {
	checkLeaks(t)
	net := NewNetwork()
	ta, tb := net.Endpoint(a), net.Endpoint(b)
	defer ta.Close()
	defer tb.Close()
	msgs := make([]*Ping, 5000)
	for i := range msgs {
		msgs[i] = &Ping{Seq: uint64(i)}
		ta.Send(paxi.Envelope{From: "9.9", To: b, Msg: msgs[i]})
	}
	for i := range msgs {
		e := recv(t, tb, time.Second)
		if e.From != a || e.To != b {
			t.Fatalf("envelope from %s to %s, want %s to %s", e.From, e.To, a, b)
		}
		if e.Msg != paxi.Message(msgs[i]) {
			t.Fatalf("message %d: got %v, want the pointer that was sent", i, e.Msg)
		}
	}
}

func TestChannelDropsToAbsentEndpointsAndRestarts(t *testing.T) {
	checkLeaks(t)
	obs := &countingObserver{}
	net := NewNetwork(NetworkObserver(obs))
	ta := net.Endpoint(a)
	defer ta.Close()
	ta.Send(paxi.Envelope{To: b, Msg: &Ping{Seq: 1}})
	if obs.drops(DropUnreachable) != 1 {
		t.Fatalf("send to an absent endpoint not dropped: %v", obs.dropped)
	}
	tb := net.Endpoint(b)
	if net.Endpoint(b) != tb {
		t.Fatal("Endpoint returned a second transport for an open endpoint")
	}
	tb.Close()
	if _, ok := <-tb.Inbox(); ok {
		t.Fatal("closed endpoint's inbox still open")
	}
	tb2 := net.Endpoint(b)
	defer tb2.Close()
	ta.Send(paxi.Envelope{To: b, Msg: &Ping{Seq: 2}})
	if e := recv(t, tb2, time.Second); e.Msg.(*Ping).Seq != 2 {
		t.Fatalf("restarted endpoint got %+v", e.Msg)
	}
}

func TestChannelCodecRoundTripCopiesAndCounts(t *testing.T) {
	checkLeaks(t)
	obs := &countingObserver{}
	net := NewNetwork(CodecRoundTrip(), NetworkObserver(obs))
	ta, tb := net.Endpoint(a), net.Endpoint(b)
	defer ta.Close()
	defer tb.Close()
	m := &Ping{Seq: 4}
	ta.Send(paxi.Envelope{To: b, Msg: m})
	e := recv(t, tb, time.Second)
	if e.Msg == paxi.Message(m) || *e.Msg.(*Ping) != *m {
		t.Fatalf("round trip delivered %v (same pointer: %v)", e.Msg, e.Msg == paxi.Message(m))
	}
	eventually(t, time.Second, func() bool {
		obs.mu.Lock()
		defer obs.mu.Unlock()
		return obs.bytesIn > frameHeader && obs.bytesIn == obs.bytesOut
	}, func() string { return "bytes not counted" })

	type unregistered struct{}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "cannot be encoded") {
			t.Fatalf("sending an unregistered type: recovered %v", r)
		}
	}()
	ta.Send(paxi.Envelope{To: b, Msg: &unregistered{}})
}
