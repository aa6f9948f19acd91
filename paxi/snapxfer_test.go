package paxi

import (
	"bytes"
	"math/rand"
	"testing"
)

func payloadOf(n int) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(int64(n))).Read(b)
	return b
}

// pump carries messages between transfer endpoints until none are left,
// with faults chosen by rng (loss, duplication, swapping neighbours), and
// ticks every endpoint once a round; it returns what was received.
func pump(t *testing.T, eps map[ID]*SnapshotTransfers, rng *rand.Rand, loss, dup float64, rounds int) []*Received {
	t.Helper()
	var got []*Received
	for round := 0; round < rounds; round++ {
		var flight []Envelope
		for _, id := range []ID{"1.1", "1.2", "1.3"} {
			if e := eps[id]; e != nil {
				flight = append(flight, e.Take()...)
			}
		}
		for i := range flight {
			if c, ok := flight[i].Msg.(*SnapshotChunk); ok && (len(c.Data) > eps[flight[i].From].Chunk || len(c.Data) > MessageBudget) {
				t.Fatalf("a chunk of %d bytes, over the chunk size %d", len(c.Data), eps[flight[i].From].Chunk)
			}
			if rng != nil && i > 0 && rng.Float64() < 0.2 {
				flight[i-1], flight[i] = flight[i], flight[i-1]
			}
		}
		for _, e := range flight {
			if rng != nil && rng.Float64() < loss {
				continue
			}
			n := 1
			if rng != nil && rng.Float64() < dup {
				n = 2
			}
			for ; n > 0; n-- {
				if to := eps[e.To]; to != nil {
					if r := to.Step(e.From, e.Msg); r != nil {
						got = append(got, r)
					}
				}
			}
		}
		for _, e := range eps {
			e.Tick()
		}
	}
	return got
}

// A payload of many chunks arrives whole over a link that loses,
// duplicates and reorders, each chunk within the chunk size.
func TestSnapshotTransferSurvivesAFaultyLink(t *testing.T) {
	for seed := int64(1); seed <= 20; seed++ {
		a, b := NewSnapshotTransfers("1.1", 0), NewSnapshotTransfers("1.2", 100)
		a.Chunk = 1000
		p := payloadOf(25_500)
		if a.Send("1.2", p) == 0 {
			t.Fatal("transfer not started")
		}
		if a.Send("1.2", p) != 0 {
			t.Fatal("a second transfer to the same peer started while one is under way")
		}
		got := pump(t, map[ID]*SnapshotTransfers{"1.1": a, "1.2": b}, rand.New(rand.NewSource(seed)), 0.2, 0.2, 5000)
		if len(got) != 1 || !bytes.Equal(got[0].Payload, p) || got[0].From != "1.1" {
			t.Fatalf("seed %d: received %d payloads (want 1, equal to the one sent); sender %+v", seed, len(got), a.Stats)
		}
		if a.Sending("1.2") || a.Stats.Sent != 1 || b.Stats.Received != 1 {
			t.Fatalf("seed %d: sender %+v, receiver %+v", seed, a.Stats, b.Stats)
		}
	}
}

// A chunk whose bytes changed on the way fails the checksum: the transfer
// is refused, nothing is handed to the host.
func TestSnapshotTransferRefusesABadChecksum(t *testing.T) {
	a, b := NewSnapshotTransfers("1.1", 0), NewSnapshotTransfers("1.2", 0)
	a.Chunk = 100
	a.Send("1.2", payloadOf(250))
	var got []*Received
	for i := 0; i < 10; i++ {
		for _, e := range a.Take() {
			c := e.Msg.(*SnapshotChunk)
			if c.Offset == 100 {
				d := bytes.Clone(c.Data)
				d[7] ^= 1
				c = &SnapshotChunk{Xfer: c.Xfer, Offset: c.Offset, Total: c.Total, Sum: c.Sum, Data: d}
			}
			if r := b.Step("1.1", c); r != nil {
				got = append(got, r)
			}
		}
		for _, e := range b.Take() {
			a.Step("1.2", e.Msg)
		}
	}
	if len(got) != 0 || a.Stats.Refused != 1 || a.Sending("1.2") {
		t.Fatalf("a corrupted payload: %d received, sender %+v", len(got), a.Stats)
	}
}

// Chunks that do not fit the transfer (past its end, empty, out of order)
// are refused or answered with the offset wanted, never taken.
func TestSnapshotTransferRefusesBadChunks(t *testing.T) {
	b := NewSnapshotTransfers("1.2", 0)
	sum := SnapshotSum([]byte("abcdef"))
	for _, c := range []*SnapshotChunk{
		{Xfer: 1, Offset: 4, Total: 6, Sum: sum, Data: []byte("efg")}, // past the end
		{Xfer: 1, Offset: 0, Total: 6, Sum: sum},                      // empty
		{Xfer: 1, Offset: 0, Total: 0, Sum: sum, Data: []byte("a")},   // no total
	} {
		if b.Step("1.1", c) != nil {
			t.Fatalf("took %+v", c)
		}
		if a := b.Take()[0].Msg.(*SnapshotAck); a.Status != AckRefused {
			t.Fatalf("%+v answered %+v, want refused", c, a)
		}
	}
	b.Step("1.1", &SnapshotChunk{Xfer: 2, Offset: 0, Total: 6, Sum: sum, Data: []byte("ab")})
	b.Take()
	if b.Step("1.1", &SnapshotChunk{Xfer: 2, Offset: 4, Total: 6, Sum: sum, Data: []byte("ef")}) != nil {
		t.Fatal("took a chunk out of order")
	}
	if a := b.Take()[0].Msg.(*SnapshotAck); a.Status != AckMore || a.Next != 2 {
		t.Fatalf("out of order answered %+v, want the offset 2 wanted", a)
	}
	b.Step("1.1", &SnapshotChunk{Xfer: 2, Offset: 2, Total: 6, Sum: sum, Data: []byte("cd")})
	r := b.Step("1.1", &SnapshotChunk{Xfer: 2, Offset: 4, Total: 6, Sum: sum, Data: []byte("ef")})
	if r == nil || string(r.Payload) != "abcdef" {
		t.Fatalf("in order after all: %+v", r)
	}
}

// Two peers send at once: the receiver takes one; the other is refused
// while the first moves, and taken once the first stalled.
func TestSnapshotTransferOneAtATime(t *testing.T) {
	a, c, b := NewSnapshotTransfers("1.1", 0), NewSnapshotTransfers("1.3", 0), NewSnapshotTransfers("1.2", 0)
	a.Chunk, c.Chunk = 10, 10
	pa, pc := payloadOf(95), payloadOf(96)
	a.Send("1.2", pa)
	c.Send("1.2", pc)
	got := pump(t, map[ID]*SnapshotTransfers{"1.1": a, "1.2": b, "1.3": c}, nil, 0, 0, 100)
	if len(got) != 1 || c.Stats.Refused != 1 {
		t.Fatalf("%d received, second sender %+v; want one received, the other refused", len(got), c.Stats)
	}
	// 1.1 starts again and dies after its first chunk; 1.3's later
	// transfer waits out the stall and is taken.
	a2 := NewSnapshotTransfers("1.1", 50)
	a2.Chunk = 10
	a2.Send("1.2", pa)
	pump(t, map[ID]*SnapshotTransfers{"1.1": a2, "1.2": b}, nil, 0, 0, 1)
	for i := 0; i < int(c.Cooldown); i++ {
		c.Tick()
	}
	if c.Send("1.2", pc) == 0 {
		t.Fatal("not started again after the cooldown")
	}
	pump(t, map[ID]*SnapshotTransfers{"1.2": b, "1.3": c}, nil, 0, 0, 2)
	if c.Stats.Refused != 2 {
		t.Fatalf("taken while another peer's transfer moves: %+v", c.Stats)
	}
	for i := 0; i < int(b.Stall); i++ {
		b.Tick()
	}
	c2 := NewSnapshotTransfers("1.3", 90)
	c2.Chunk = 10
	c2.Send("1.2", pc)
	got = pump(t, map[ID]*SnapshotTransfers{"1.2": b, "1.3": c2}, nil, 0, 0, 100)
	if len(got) != 1 || !bytes.Equal(got[0].Payload, pc) {
		t.Fatalf("after the stall: %d received", len(got))
	}
}

// A receiver that restarts mid-transfer (its assembly lost) has the
// sender start again from the first byte; a sender whose peer never
// answers gives up.
func TestSnapshotTransferRestartsAfterTheReceiverRestarts(t *testing.T) {
	a, b := NewSnapshotTransfers("1.1", 0), NewSnapshotTransfers("1.2", 0)
	a.Chunk = 10
	p := payloadOf(55)
	a.Send("1.2", p)
	pump(t, map[ID]*SnapshotTransfers{"1.1": a, "1.2": b}, nil, 0, 0, 3)
	b = NewSnapshotTransfers("1.2", 0) // restarted
	got := pump(t, map[ID]*SnapshotTransfers{"1.1": a, "1.2": b}, nil, 0, 0, 200)
	if len(got) != 1 || !bytes.Equal(got[0].Payload, p) {
		t.Fatalf("after the receiver restarted: %d received; sender %+v", len(got), a.Stats)
	}
	lone := NewSnapshotTransfers("1.1", 0)
	lone.Send("1.2", p)
	for i := 0; i < int(lone.Retry)*snapshotTries+1; i++ {
		lone.Tick()
	}
	if lone.Sending("1.2") || lone.Stats.Abandoned != 1 || len(lone.Take()) != snapshotTries {
		t.Fatalf("a transfer nobody answers: %+v", lone.Stats)
	}
}
