// Package prototest holds what the tests of several protocol packages
// share: a deterministic in-process network that drives protocol cores
// directly, without the simulator, for tests that arrange one exact
// interleaving of messages.
package prototest

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand"
	"strings"
	"testing"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/transport"
)

// Net carries out each Ready of its replicas as paxi.Process does
// (persist, send, execute) and delivers messages first in, first out,
// through the wire codec.
type Net[P paxi.Protocol] struct {
	T     *testing.T
	IDs   []paxi.ID
	Reps  []P
	Disk  [][]paxi.Message // what each replica persisted, in order
	Exec  [][]paxi.Command // executed since the replica's last start
	Queue []paxi.Envelope
	Down  []bool
	// Drop, when set, is asked about every message before delivery.
	Drop func(e paxi.Envelope) bool
	// Largest is the largest encoded message sent, LargestName its type:
	// the TCP transport refuses one over its frame limit.
	Largest     int
	LargestName string
	build       func(paxi.Env) (P, error)
	ids         uint64 // the last command id of ProposeN
}

// NewNet starts n replicas "1.1" ... "1.n" built by build.
func NewNet[P paxi.Protocol](t *testing.T, n int, build func(paxi.Env) (P, error)) *Net[P] {
	c := &Net[P]{T: t, Disk: make([][]paxi.Message, n), Exec: make([][]paxi.Command, n), Down: make([]bool, n), build: build}
	for i := range n {
		c.IDs = append(c.IDs, paxi.ID(fmt.Sprintf("1.%d", i+1)))
	}
	for i := range n {
		c.Reps = append(c.Reps, c.Start(i, nil, nil))
	}
	return c
}

// Start builds replica i from restored records and params, without
// installing it.
func (c *Net[P]) Start(i int, restored []paxi.Message, params json.RawMessage) P {
	r, err := c.build(paxi.Env{ID: c.IDs[i], Peers: c.IDs, Params: params, Rand: rand.New(rand.NewSource(int64(i + 1))),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Restored: restored})
	if err != nil {
		c.T.Fatal(err)
	}
	return r
}

// Restart rebuilds replica i from what it persisted.
func (c *Net[P]) Restart(i int) {
	c.Reps[i] = c.Start(i, c.Disk[i], nil)
	c.Exec[i], c.Down[i] = nil, false
}

// Flush carries out replica i's Ready, queueing its messages, and reports
// whether there was anything to do.
func (c *Net[P]) Flush(i int) bool {
	rd := c.Reps[i].Ready()
	for _, m := range rd.Persist {
		c.Disk[i] = append(c.Disk[i], MustRoundTrip(c.T, m))
	}
	for _, e := range rd.Messages {
		b, err := transport.Marshal(nil, e.Msg)
		if err != nil {
			c.T.Fatalf("codec: %v", err)
		}
		if len(b) > c.Largest {
			c.Largest, c.LargestName = len(b), paxi.MessageName(e.Msg)
		}
		if e.Msg, err = transport.Unmarshal(b); err != nil {
			c.T.Fatalf("codec: %v", err)
		}
		c.Queue = append(c.Queue, e)
	}
	c.Exec[i] = append(c.Exec[i], rd.Execute...)
	return !rd.Empty()
}

// Run delivers messages until none are left.
func (c *Net[P]) Run() {
	for steps := 0; ; steps++ {
		if steps > 100000 {
			c.T.Fatal("the network did not settle")
		}
		busy := false
		for i := range c.Reps {
			if !c.Down[i] && c.Flush(i) {
				busy = true
			}
		}
		if len(c.Queue) == 0 {
			if !busy {
				return
			}
			continue
		}
		e := c.Queue[0]
		c.Queue = c.Queue[1:]
		to := paxi.IndexOf(c.IDs, e.To)
		if c.Down[to] || (c.Drop != nil && c.Drop(e)) {
			continue
		}
		c.Reps[to].Step(e.From, e.Msg)
	}
}

// Tick advances replica i by n ticks, delivering what each produces.
func (c *Net[P]) Tick(i, n int) {
	for range n {
		c.Reps[i].Tick()
		c.Run()
	}
}

// Propose hands replica i a client command and delivers what follows.
func (c *Net[P]) Propose(i int, cmd paxi.Command) {
	c.Reps[i].Propose(paxi.Request{Command: cmd})
	c.Run()
}

// RequireUnderFrame fails the test unless every message sent so far fit
// the transport's default frame.
func (c *Net[P]) RequireUnderFrame() {
	c.T.Helper()
	if c.Largest > transport.DefaultMaxFrame {
		c.T.Fatalf("a %s of %d bytes was built: the transport refuses frames over %d", c.LargestName, c.Largest, transport.DefaultMaxFrame)
	}
	c.T.Logf("largest message: %s, %d bytes (frame limit %d)", c.LargestName, c.Largest, transport.DefaultMaxFrame)
}

// BigPuts are n writes of 1 MiB values, the largest a client may send, by
// client to key.
func BigPuts(client uint64, key string, n int) []paxi.Command {
	v := strings.Repeat("v", 1<<20)
	out := make([]paxi.Command, n)
	for i := range out {
		out[i] = Put(client, uint64(i+1), key, v)
	}
	return out
}

// MustRoundTrip passes m through the wire codec, failing the test on error.
func MustRoundTrip(t testing.TB, m paxi.Message) paxi.Message {
	out, err := transport.RoundTrip(m)
	if err != nil {
		t.Fatalf("codec: %v", err)
	}
	return out
}

// Put is a write of value to key by client, its command id-th.
func Put(client, id uint64, key, value string) paxi.Command {
	return paxi.Command{Op: paxi.Put, Key: key, Value: value, ClientID: client, CommandID: id}
}
