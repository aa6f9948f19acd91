package transport

import (
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/agora-consensus/agora/paxi"
)

const (
	a = paxi.ID("1.1")
	b = paxi.ID("1.2")
	c = paxi.ID("1.3")
)

func TestTCPDeliversInFIFOOrderBothWays(t *testing.T) {
	checkLeaks(t)
	lns, addrs := listeners(t, a, b)
	obsA := &countingObserver{}
	ta := startTCP(t, a, lns[a], addrs, TCPOptions{Observer: obsA})
	tb := startTCP(t, b, lns[b], addrs, TCPOptions{})

	const n = 20000
	for i := range n {
		ta.Send(paxi.Envelope{From: a, To: b, Msg: &Ping{Seq: uint64(i)}})
		if i%100 == 0 {
			tb.Send(paxi.Envelope{From: b, To: a, Msg: &Ping{Seq: uint64(i / 100)}})
		}
	}
	for i := range n {
		e := recv(t, tb, 5*time.Second)
		if e.From != a || e.To != b {
			t.Fatalf("envelope %d: From %s To %s, want %s to %s", i, e.From, e.To, a, b)
		}
		if got := e.Msg.(*Ping).Seq; got != uint64(i) {
			t.Fatalf("message %d arrived as number %d", i, got)
		}
	}
	for i := range n / 100 {
		e := recv(t, ta, 5*time.Second)
		if e.From != b || e.Msg.(*Ping).Seq != uint64(i) {
			t.Fatalf("reply %d: got %+v from %s", i, e.Msg, e.From)
		}
	}
	eventually(t, time.Second, func() bool {
		obsA.mu.Lock()
		defer obsA.mu.Unlock()
		return obsA.sent == n && obsA.received == n/100
	}, func() string { return "observer counts are off" })
}

func TestTCPCarriesLargeMessages(t *testing.T) {
	checkLeaks(t)
	lns, addrs := listeners(t, a, b)
	ta := startTCP(t, a, lns[a], addrs, TCPOptions{})
	tb := startTCP(t, b, lns[b], addrs, TCPOptions{})
	big := newBatch(5000) // larger than the 64 KiB read buffer
	big.Note = make([]byte, 300<<10)
	ta.Send(paxi.Envelope{To: b, Msg: big})
	ta.Send(paxi.Envelope{To: b, Msg: &Ping{Seq: 1}})
	got := recv(t, tb, 5*time.Second).Msg.(*Batch)
	if len(got.Commands) != 5000 || got.Commands[4999] != big.Commands[4999] || len(got.Note) != len(big.Note) {
		t.Fatalf("large batch arrived damaged: %d commands, %d note bytes", len(got.Commands), len(got.Note))
	}
	if p := recv(t, tb, 5*time.Second).Msg.(*Ping); p.Seq != 1 {
		t.Fatalf("message after the large one: %+v", p)
	}
}

func TestTCPReconnectsAfterPeerRestarts(t *testing.T) {
	checkLeaks(t)
	lns, addrs := listeners(t, a, b)
	ta := startTCP(t, a, lns[a], addrs, TCPOptions{})
	tb := startTCP(t, b, lns[b], addrs, TCPOptions{})
	ta.Send(paxi.Envelope{To: b, Msg: &Ping{Seq: 1}})
	if e := recv(t, tb, 5*time.Second); e.Msg.(*Ping).Seq != 1 {
		t.Fatalf("got %+v", e.Msg)
	}

	tb.Close()
	ln, err := net.Listen("tcp", addrs[b])
	if err != nil {
		t.Fatalf("listening again on %s: %v", addrs[b], err)
	}
	tb2 := startTCP(t, b, ln, addrs, TCPOptions{})

	// Messages sent while b was away or reconnecting may be lost; the
	// protocol would retransmit, and so does this loop.
	var got paxi.Envelope
	eventually(t, 10*time.Second, func() bool {
		ta.Send(paxi.Envelope{To: b, Msg: &Ping{Seq: 2}})
		select {
		case got = <-tb2.Inbox():
			return true
		case <-time.After(20 * time.Millisecond):
			return false
		}
	}, func() string { return "a never reached the restarted b" })
	if got.From != a || got.Msg.(*Ping).Seq != 2 {
		t.Fatalf("after restart got %+v from %s", got.Msg, got.From)
	}
}

func TestTCPBadFramesCloseOnlyTheirConnection(t *testing.T) {
	good, err := Marshal(nil, &Ping{Seq: 5})
	if err != nil {
		t.Fatal(err)
	}
	unknown := append(binary.BigEndian.AppendUint16(nil, unusedTag(t)), good[2:]...)
	cases := []struct {
		name  string
		frame []byte
	}{
		{"unknown tag", frameOf(unknown)},
		{"garbage body", frameOf(append(append([]byte{}, good[:2]...), 0xc1, 0xc1))},
		{"huge array", frameOf(append(append([]byte{}, good[:2]...), 0x81, 0xa3, 'S', 'e', 'q', 0xdd, 0xff, 0xff, 0xff, 0xff))},
		{"length over MaxFrame", binary.BigEndian.AppendUint32(nil, 1<<20+1)},
		{"empty body", frameOf(nil)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkLeaks(t)
			lns, addrs := listeners(t, a, b, c)
			lns[c].Close() // c is impersonated by a raw connection below
			ta := startTCP(t, a, lns[a], addrs, TCPOptions{})
			tb := startTCP(t, b, lns[b], addrs, TCPOptions{MaxFrame: 1 << 20})

			raw, err := net.Dial("tcp", addrs[b])
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			// A good message first, then the bad frame.
			stream := appendHandshake(nil, c)
			stream = append(stream, frameOf(good)...)
			stream = append(stream, tc.frame...)
			if _, err := raw.Write(stream); err != nil {
				t.Fatal(err)
			}
			if e := recv(t, tb, 5*time.Second); e.From != c || e.Msg.(*Ping).Seq != 5 {
				t.Fatalf("got %+v from %s", e.Msg, e.From)
			}
			raw.SetReadDeadline(time.Now().Add(5 * time.Second))
			if n, err := raw.Read(make([]byte, 1)); err != io.EOF {
				t.Fatalf("b did not close the connection after a bad frame: read %d, %v", n, err)
			}

			// b keeps serving a.
			ta.Send(paxi.Envelope{To: b, Msg: &Ping{Seq: 6}})
			if e := recv(t, tb, 5*time.Second); e.From != a || e.Msg.(*Ping).Seq != 6 {
				t.Fatalf("got %+v from %s", e.Msg, e.From)
			}
		})
	}
}

func TestTCPRefusesBadHandshakes(t *testing.T) {
	for name, hello := range map[string][]byte{
		"unknown peer": appendHandshake(nil, "9.9"),
		"itself":       appendHandshake(nil, b),
		"wrong magic":  frameOf([]byte("hello 1.1")),
		"bad id":       frameOf(append(append([]byte{}, handshakeMagic...), "x.y"...)),
		"huge":         binary.BigEndian.AppendUint32(nil, 1<<30),
	} {
		t.Run(name, func(t *testing.T) {
			checkLeaks(t)
			lns, addrs := listeners(t, a, b)
			lns[a].Close()
			tb := startTCP(t, b, lns[b], addrs, TCPOptions{})
			raw, err := net.Dial("tcp", addrs[b])
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			good, _ := Marshal(nil, &Ping{Seq: 1})
			raw.Write(append(hello, frameOf(good)...))
			raw.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := raw.Read(make([]byte, 1)); err != io.EOF {
				t.Fatalf("connection not refused: %v", err)
			}
			noRecv(t, tb, 20*time.Millisecond)
		})
	}
}

func TestTCPSendNeverBlocksOnAnUnreachablePeer(t *testing.T) {
	checkLeaks(t)
	lns, addrs := listeners(t, a, b)
	lns[b].Close() // nobody listens for b
	obs := &countingObserver{}
	ta := startTCP(t, a, lns[a], addrs, TCPOptions{Observer: obs, QueueLen: 100})
	start := time.Now()
	for i := range 100000 {
		ta.Send(paxi.Envelope{To: b, Msg: &Ping{Seq: uint64(i)}})
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("100000 sends to an unreachable peer took %v", d)
	}
	eventually(t, 5*time.Second, func() bool { return obs.drops(DropUnreachable) > 0 }, func() string {
		return "no message dropped as unreachable"
	})
	ta.Send(paxi.Envelope{To: "7.7", Msg: &Ping{}})
	if obs.drops(DropUnknownPeer) != 1 {
		t.Fatalf("send to an unknown peer not reported as dropped: %v", obs.dropped)
	}
}

func TestTCPDropsMessagesLargerThanMaxFrame(t *testing.T) {
	checkLeaks(t)
	lns, addrs := listeners(t, a, b)
	obs := &countingObserver{}
	ta := startTCP(t, a, lns[a], addrs, TCPOptions{Observer: obs, MaxFrame: 1024})
	tb := startTCP(t, b, lns[b], addrs, TCPOptions{MaxFrame: 1024})
	ta.Send(paxi.Envelope{To: b, Msg: newBatch(100)})
	ta.Send(paxi.Envelope{To: b, Msg: &Ping{Seq: 3}})
	if e := recv(t, tb, 5*time.Second); e.Msg.(*Ping).Seq != 3 {
		t.Fatalf("got %+v", e.Msg)
	}
	if obs.drops(DropEncode) != 1 {
		t.Fatalf("oversized message not reported as dropped: %v", obs.dropped)
	}
}

func TestTCPCloseClosesInboxAndStopsSending(t *testing.T) {
	checkLeaks(t)
	lns, addrs := listeners(t, a, b)
	ta := startTCP(t, a, lns[a], addrs, TCPOptions{})
	startTCP(t, b, lns[b], addrs, TCPOptions{})
	if err := ta.Close(); err != nil {
		t.Fatal(err)
	}
	ta.Send(paxi.Envelope{To: b, Msg: &Ping{}})
	if _, ok := <-ta.Inbox(); ok {
		t.Fatal("inbox delivered after Close")
	}
	if err := ta.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// frameOf prefixes body with its length.
func frameOf(body []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...)
}

func TestTCPBacksOffFromAPeerThatHangsUp(t *testing.T) {
	checkLeaks(t)
	lns, addrs := listeners(t, a, b)
	// b accepts connections and closes them at once, as a replica that
	// does not know a would.
	accepted := make(chan struct{}, 1000)
	go func() {
		for {
			c, err := lns[b].Accept()
			if err != nil {
				return
			}
			c.Close()
			accepted <- struct{}{}
		}
	}()
	defer lns[b].Close()
	ta := startTCP(t, a, lns[a], addrs, TCPOptions{MinBackoff: 10 * time.Millisecond, MaxBackoff: time.Second})
	ta.Send(paxi.Envelope{To: b, Msg: &Ping{}})
	<-accepted
	start := time.Now()
	n := 0
	for time.Since(start) < 500*time.Millisecond {
		select {
		case <-accepted:
			n++
		case <-time.After(10 * time.Millisecond):
		}
	}
	// With backoff 10, 20, 40, 80, 160 ms there are about six attempts in
	// 500 ms; without it, thousands.
	if n > 12 {
		t.Fatalf("a redialled %d times in 500ms", n)
	}
}

func TestTCPReportsADroppedConnection(t *testing.T) {
	checkLeaks(t)
	lns, addrs := listeners(t, a, b)
	// A connection counts as working after MaxBackoff.
	ta := startTCP(t, a, lns[a], addrs, TCPOptions{MaxBackoff: 20 * time.Millisecond})
	tb := startTCP(t, b, lns[b], addrs, TCPOptions{})
	ta.Send(paxi.Envelope{To: b, Msg: &Ping{Seq: 1}})
	recv(t, tb, 5*time.Second)
	noRecv(t, ta, 30*time.Millisecond)
	tb.Close() // b crashes: a's connection to it drops
	if e := recv(t, ta, 5*time.Second); e.From != b {
		t.Fatalf("got %T from %s, want a PeerDown from %s", e.Msg, e.From, b)
	} else if _, ok := e.Msg.(*paxi.PeerDown); !ok {
		t.Fatalf("got %T from %s, want a PeerDown", e.Msg, e.From)
	}
}

func TestTCPRedialsAtOnceWhenThePeerDialsIn(t *testing.T) {
	checkLeaks(t)
	lns, addrs := listeners(t, a, b)
	lns[b].Close() // b is down
	ta := startTCP(t, a, lns[a], addrs, TCPOptions{MinBackoff: 5 * time.Second, MaxBackoff: 5 * time.Second})
	pb := ta.peers[b]
	eventually(t, 2*time.Second, func() bool {
		pb.mu.Lock()
		defer pb.mu.Unlock()
		return pb.down
	}, func() string { return "a never failed to dial the absent b" })
	ln, err := net.Listen("tcp", addrs[b])
	if err != nil {
		t.Fatalf("listening again on %s: %v", addrs[b], err)
	}
	tb := startTCP(t, b, ln, addrs, TCPOptions{}) // b is back and dials a
	tb.Send(paxi.Envelope{To: a, Msg: &Ping{Seq: 1}})
	recv(t, ta, 2*time.Second)
	// a's dial backoff (5 s) is cut short: it reaches b well before.
	start := time.Now()
	eventually(t, 2*time.Second, func() bool {
		ta.Send(paxi.Envelope{To: b, Msg: &Ping{Seq: 2}})
		select {
		case e := <-tb.Inbox():
			return e.From == a
		case <-time.After(20 * time.Millisecond):
			return false
		}
	}, func() string { return "a still backs off from b, which dialed in: its messages wait up to MaxBackoff" })
	t.Logf("a reached b %v after b dialed in", time.Since(start))
}
