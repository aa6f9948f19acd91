package mencius

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand"
	"testing"

	"github.com/agora-consensus/agora/paxi"
)

// net is a deterministic in-process network for the tests of this package:
// it carries out each Ready as paxi.Process does (persist, send, execute)
// and delivers messages first in, first out, through the wire codec.
type net struct {
	t     *testing.T
	ids   []paxi.ID
	reps  []*Replica
	disk  [][]paxi.Message // what each replica persisted, in order
	exec  [][]paxi.Command // executed since the replica's last start
	queue []paxi.Envelope
	down  []bool
	// drop, when set, is asked about every message before delivery.
	drop func(e paxi.Envelope) bool
}

func newNet(t *testing.T, n int) *net {
	c := &net{t: t, disk: make([][]paxi.Message, n), exec: make([][]paxi.Command, n), down: make([]bool, n)}
	for i := range n {
		c.ids = append(c.ids, paxi.ID(fmt.Sprintf("1.%d", i+1)))
	}
	for i := range n {
		c.reps = append(c.reps, c.start(i, nil, nil))
	}
	return c
}

func (c *net) start(i int, restored []paxi.Message, params json.RawMessage) *Replica {
	r, err := New(paxi.Env{ID: c.ids[i], Peers: c.ids, Params: params, Rand: rand.New(rand.NewSource(int64(i + 1))),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Restored: restored})
	if err != nil {
		c.t.Fatal(err)
	}
	return r
}

// restart rebuilds replica i from what it persisted.
func (c *net) restart(i int) {
	c.reps[i] = c.start(i, c.disk[i], nil)
	c.exec[i], c.down[i] = nil, false
}

// flush carries out replica i's Ready.
func (c *net) flush(i int) bool {
	rd := c.reps[i].Ready()
	for _, m := range rd.Persist {
		c.disk[i] = append(c.disk[i], roundTrip(c.t, m))
	}
	for _, e := range rd.Messages {
		e.Msg = roundTrip(c.t, e.Msg)
		c.queue = append(c.queue, e)
	}
	c.exec[i] = append(c.exec[i], rd.Execute...)
	return !rd.Empty()
}

// run delivers messages until none are left.
func (c *net) run() {
	for steps := 0; ; steps++ {
		if steps > 100000 {
			c.t.Fatal("the network did not settle")
		}
		busy := false
		for i := range c.reps {
			if !c.down[i] && c.flush(i) {
				busy = true
			}
		}
		if len(c.queue) == 0 {
			if !busy {
				return
			}
			continue
		}
		e := c.queue[0]
		c.queue = c.queue[1:]
		to := paxi.IndexOf(c.ids, e.To)
		if c.down[to] || (c.drop != nil && c.drop(e)) {
			continue
		}
		c.reps[to].Step(e.From, e.Msg)
	}
}

// tick advances replica i by n ticks, delivering what each produces.
func (c *net) tick(i, n int) {
	for range n {
		c.reps[i].Tick()
		c.run()
	}
}

func (c *net) propose(i int, cmd paxi.Command) {
	c.reps[i].Propose(paxi.Request{Command: cmd})
	c.run()
}

func roundTrip(t *testing.T, m paxi.Message) paxi.Message {
	out, err := codec(m)
	if err != nil {
		t.Fatalf("codec: %v", err)
	}
	return out
}

func put(client, id uint64, key, value string) paxi.Command {
	return paxi.Command{Op: paxi.Put, Key: key, Value: value, ClientID: client, CommandID: id}
}
