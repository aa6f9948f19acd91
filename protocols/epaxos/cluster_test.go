package epaxos

import (
	"flag"
	"fmt"
	"math/rand"
	"slices"
	"testing"
	"time"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/transport"
)

// seedFlag replays a randomized test: go test -run TestName -epaxos.seed=N.
var seedFlag = flag.Int64("epaxos.seed", 0, "seed for randomized tests (0: pick one and print it)")

// testSeed returns the seed for a randomized test and logs how to replay it.
func testSeed(t testing.TB) int64 {
	s := *seedFlag
	if s == 0 {
		s = time.Now().UnixNano() % 1_000_000_007
	}
	t.Logf("seed %d; replay with: go test ./protocols/epaxos/ -run '^%s$' -epaxos.seed=%d", s, t.Name(), s)
	return s
}

// cluster is a deterministic in-process network of replicas for tests. It
// carries out each Ready like paxi.Process does (persist, send, execute,
// reply), keeps a KV and an execution log per replica, and delivers
// messages first in, first out, or in an order drawn from a seeded rand.
type cluster struct {
	t        testing.TB
	ids      []paxi.ID
	params   string
	reps     []*Replica
	kvs      []*paxi.KV
	disk     [][]paxi.Message // what each replica persisted, in order
	executed [][]paxi.Command // execution log per replica (since its last start)
	replies  [][]paxi.Reply   // Ready.Replies per replica
	queue    []paxi.Envelope
	down     []bool
	rng      *rand.Rand // nil: FIFO delivery
	codec    bool       // round-trip every message and record through transport
	// drop, when set, is asked about every message before delivery.
	drop func(e paxi.Envelope) bool
	// sent counts messages sent, by registered name.
	sent map[string]int
	// dup, when set, is asked about every delivered message; true queues
	// the message again to be delivered a second time later.
	dup func(e paxi.Envelope) bool
	// hold, when set, keeps matching messages aside instead of delivering.
	hold func(e paxi.Envelope) bool
	held []paxi.Envelope
	// snapTo lists, per replica, the peers its Readies asked to be sent
	// its snapshot (Ready.SendSnapshot), in order.
	snapTo [][]paxi.ID
	// largest is the largest encoded message delivered, and largestName its type.
	largest     int
	largestName string
}

func ids(n int) []paxi.ID {
	out := make([]paxi.ID, n)
	for i := range out {
		out[i] = paxi.ID(fmt.Sprintf("1.%d", i+1))
	}
	return out
}

// newCluster starts n replicas with the given params JSON ("" for defaults).
func newCluster(t testing.TB, n int, params string) *cluster {
	t.Helper()
	c := &cluster{
		t: t, ids: ids(n), params: params,
		reps: make([]*Replica, n), kvs: make([]*paxi.KV, n), disk: make([][]paxi.Message, n),
		executed: make([][]paxi.Command, n), replies: make([][]paxi.Reply, n),
		down: make([]bool, n), codec: true, sent: map[string]int{}, snapTo: make([][]paxi.ID, n),
	}
	for i := range c.reps {
		c.start(i, nil)
	}
	return c
}

func (c *cluster) env(i int, restored []paxi.Message) paxi.Env {
	var raw []byte
	if c.params != "" {
		raw = []byte(c.params)
	}
	return paxi.Env{ID: c.ids[i], Peers: c.ids, Params: raw, Rand: rand.New(rand.NewSource(int64(i))), Restored: restored}
}

func (c *cluster) start(i int, restored []paxi.Message) {
	c.t.Helper()
	r, err := New(c.env(i, restored))
	if err != nil {
		c.t.Fatalf("New(%s): %v", c.ids[i], err)
	}
	c.reps[i], c.kvs[i], c.executed[i] = r, paxi.NewKV(), nil
	c.process(i)
}

// crash stops replica i: nothing is delivered to or from it any more.
func (c *cluster) crash(i int) { c.down[i] = true }

// restart rebuilds replica i from what it persisted, with an empty state machine.
func (c *cluster) restart(i int) {
	recs := slices.Clone(c.disk[i])
	if c.codec {
		for k, m := range recs {
			recs[k] = c.roundTrip(m)
		}
	}
	c.down[i] = false
	c.start(i, recs)
}

func (c *cluster) roundTrip(m paxi.Message) paxi.Message {
	b, err := transport.Marshal(nil, m)
	if err != nil {
		c.t.Fatalf("marshal %s: %v", paxi.MessageName(m), err)
	}
	out, err := transport.Unmarshal(b)
	if err != nil {
		c.t.Fatalf("unmarshal %s: %v", paxi.MessageName(m), err)
	}
	return out
}

// roundTripSent is roundTrip for a message on the wire, which it also
// measures for largest.
func (c *cluster) roundTripSent(m paxi.Message) paxi.Message {
	b, err := transport.Marshal(nil, m)
	if err != nil {
		c.t.Fatalf("marshal %s: %v", paxi.MessageName(m), err)
	}
	if len(b) > c.largest {
		c.largest, c.largestName = len(b), paxi.MessageName(m)
	}
	out, err := transport.Unmarshal(b)
	if err != nil {
		c.t.Fatalf("unmarshal %s: %v", paxi.MessageName(m), err)
	}
	return out
}

type effects struct {
	c *cluster
	i int
}

func (fx effects) Persist(recs []paxi.Message) error {
	fx.c.disk[fx.i] = append(fx.c.disk[fx.i], recs...)
	return nil
}

func (fx effects) Send(msgs []paxi.Envelope) {
	for _, e := range msgs {
		if e.From != fx.c.ids[fx.i] {
			fx.c.t.Fatalf("%s sent a message from %s", fx.c.ids[fx.i], e.From)
		}
		fx.c.sent[paxi.MessageName(e.Msg)]++
		fx.c.queue = append(fx.c.queue, e)
	}
}

func (fx effects) Executed(cmd paxi.Command, _ paxi.Result) {
	fx.c.executed[fx.i] = append(fx.c.executed[fx.i], cmd)
}

func (fx effects) SendSnapshot(to []paxi.ID) { fx.c.snapTo[fx.i] = append(fx.c.snapTo[fx.i], to...) }

func (fx effects) Replied(r paxi.Reply) { fx.c.replies[fx.i] = append(fx.c.replies[fx.i], r) }

// process takes replica i's Ready and carries it out.
func (c *cluster) process(i int) {
	if c.down[i] {
		return
	}
	rd := c.reps[i].Ready()
	if err := paxi.Process(rd, c.kvs[i], effects{c, i}); err != nil {
		c.t.Fatal(err)
	}
}

func (c *cluster) index(id paxi.ID) int { return paxi.IndexOf(c.ids, id) }

// propose hands a command to replica i (and processes its Ready, as a host
// does at the end of an event batch).
func (c *cluster) propose(i int, cmds ...paxi.Command) {
	for _, cmd := range cmds {
		c.reps[i].Propose(paxi.Request{Command: cmd})
	}
	c.process(i)
}

// deliverOne delivers one queued message; it reports false when none is left.
func (c *cluster) deliverOne() bool {
	if len(c.queue) == 0 {
		return false
	}
	k := 0
	if c.rng != nil {
		k = c.rng.Intn(len(c.queue))
	}
	e := c.queue[k]
	c.queue = slices.Delete(c.queue, k, k+1)
	c.deliver(e)
	return true
}

func (c *cluster) deliver(e paxi.Envelope) {
	from, to := c.index(e.From), c.index(e.To)
	if c.down[from] || c.down[to] {
		return
	}
	if c.drop != nil && c.drop(e) {
		return
	}
	if c.hold != nil && c.hold(e) {
		c.held = append(c.held, e)
		return
	}
	if c.dup != nil && c.dup(e) {
		c.queue = append(c.queue, e)
	}
	m := e.Msg
	if c.codec {
		m = c.roundTripSent(m)
	}
	c.reps[to].Step(e.From, m)
	c.process(to)
}

// settle delivers until no message is left.
func (c *cluster) settle() {
	for n := 0; c.deliverOne(); n++ {
		if n > 50_000_000 {
			c.t.Fatal("network never settles")
		}
	}
}

// tick advances every live replica by one tick and settles.
func (c *cluster) tick(n int) {
	for range n {
		for i, r := range c.reps {
			if !c.down[i] {
				r.Tick()
				c.process(i)
			}
		}
		c.settle()
	}
}

// live lists the replicas that are up.
func (c *cluster) live() []int {
	var out []int
	for i := range c.reps {
		if !c.down[i] {
			out = append(out, i)
		}
	}
	return out
}

// counters sums the counters of every replica.
func (c *cluster) counters() Counters {
	var s Counters
	for _, r := range c.reps {
		x := r.Counters()
		s.FastPaths += x.FastPaths
		s.SlowPaths += x.SlowPaths
		s.AcceptsSent += x.AcceptsSent
		s.PreAcceptsSent += x.PreAcceptsSent
		s.Instances += x.Instances
		s.Retransmits += x.Retransmits
		s.GapResends += x.GapResends
		s.CommitsResent += x.CommitsResent
	}
	return s
}

// put and get build commands with unique (client, id) names.
func put(client, id uint64, key string) paxi.Command {
	return paxi.Command{Op: paxi.Put, Key: key, Value: fmt.Sprintf("v-%d-%d", client, id), ClientID: client, CommandID: id}
}

func get(client, id uint64, key string) paxi.Command {
	return paxi.Command{Op: paxi.Get, Key: key, ClientID: client, CommandID: id}
}

// requireExecutedEverywhere checks that every replica in who executed every
// command in want exactly once.
func (c *cluster) requireExecutedEverywhere(who []int, want []paxi.Command) {
	c.t.Helper()
	for _, i := range who {
		seen := map[paxi.CommandKey]int{}
		for _, cmd := range c.executed[i] {
			seen[cmd.Ident()]++
		}
		for _, cmd := range want {
			if seen[cmd.Ident()] != 1 {
				c.t.Fatalf("replica %s executed %v %d times, want once (executed %d commands, counters %+v)",
					c.ids[i], cmd, seen[cmd.Ident()], len(c.executed[i]), c.reps[i].Counters())
			}
		}
		for k, n := range seen {
			if n != 1 {
				c.t.Fatalf("replica %s executed %v %d times", c.ids[i], k, n)
			}
		}
	}
}

// requireSameInterferingOrder checks that every two replicas in who
// executed interfering commands in the same order: per key, the same
// sequence of writes, and every read after the same number of writes.
func (c *cluster) requireSameInterferingOrder(who []int) {
	c.t.Helper()
	type view struct {
		writes  map[string][]paxi.CommandKey
		readPos map[paxi.CommandKey]int
	}
	views := make([]view, len(who))
	for k, i := range who {
		v := view{writes: map[string][]paxi.CommandKey{}, readPos: map[paxi.CommandKey]int{}}
		for _, cmd := range c.executed[i] {
			switch {
			case cmd.Op.IsWrite():
				v.writes[cmd.Key] = append(v.writes[cmd.Key], cmd.Ident())
			case cmd.Op == paxi.Get:
				v.readPos[cmd.Ident()] = len(v.writes[cmd.Key])
			}
		}
		views[k] = v
	}
	for k := 1; k < len(views); k++ {
		a, b := views[0], views[k]
		for key, wa := range a.writes {
			wb := b.writes[key]
			n := min(len(wa), len(wb))
			if !slices.Equal(wa[:n], wb[:n]) {
				c.t.Fatalf("key %q: replica %s wrote %v, replica %s wrote %v", key, c.ids[who[0]], wa, c.ids[who[k]], wb)
			}
		}
		for id, pa := range a.readPos {
			if pb, ok := b.readPos[id]; ok && pa != pb {
				c.t.Fatalf("read %v: after %d writes at %s, after %d at %s", id, pa, c.ids[who[0]], pb, c.ids[who[k]])
			}
		}
	}
}
