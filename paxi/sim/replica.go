package sim

import (
	"fmt"
	"math/rand"
	"time"

	"github.com/agora-consensus/agora/paxi"
)

// inputKind is what a replica's protocol is fed.
type inputKind uint8

const (
	inStep    inputKind = iota + 1 // a peer's message
	inPropose                      // a client's command
	inTick                         // a tick
)

// input is one thing waiting for a replica's CPU.
type input struct {
	kind   inputKind
	from   int32        // inStep: sending replica
	msg    paxi.Message // inStep
	client int32        // inPropose: client index
	n      uint64       // inPropose: command id
}

// replica hosts one protocol instance the way the node runtime does: it
// feeds the protocol a batch of inputs, takes Ready and carries it out
// through paxi.Process. It is its own paxi.Effects.
type replica struct {
	s     *Sim
	idx   int32
	id    paxi.ID
	zone  int
	proto paxi.Protocol
	kv    *paxi.KV
	up    bool
	// epoch counts crashes; events addressed to an older epoch are stale.
	epoch uint32
	// crashedAt[e] is when incarnation e crashed.
	crashedAt []time.Duration
	// durable holds every record persisted, across incarnations: what
	// survives a crash and is handed back through Env.Restored.
	durable durableLog
	waiting waiters // clients waiting here, by command

	inbox     []input       // inputs waiting for the CPU, oldest first
	batch     []input       // the batch being processed (reused)
	scheduled bool          // an evRun is pending for this epoch
	busyUntil time.Duration // when the CPU finishes its current batch
	// cursor is the virtual time reached while processing a batch: each
	// input, persist, send and execution adds its service time, and outputs
	// leave the replica at the cursor's value when they are produced.
	cursor time.Duration
	cpu    CPU
	slow   time.Duration // extra service time per input (a slow node)
	busy   time.Duration // total service time spent, for utilization

	clients   []int32 // indices of the live clients attached here
	clientsOn bool    // whether clients run here while the load is on
	log       *ExecLog

	inputs, batches, executed, duplicates, persisted uint64

	snaps    snapState               // snapshot.go
	xfer     *paxi.SnapshotTransfers // catchup.go; nil without snapshots
	installs int                     // snapshots installed from a peer
}

// arrive hands an input to the replica: processed at once if its CPU is
// idle, queued otherwise, so that a busy replica batches what piles up, as
// the node runtime does.
func (r *replica) arrive(in input) {
	s := r.s
	if !r.scheduled && r.busyUntil <= s.now {
		r.batch = append(r.batch[:0], in)
		r.process(r.batch)
		return
	}
	r.inbox = append(r.inbox, in)
	if !r.scheduled {
		r.scheduled = true
		s.q.push(r.busyUntil, event{kind: evRun, to: r.idx, epoch: r.epoch})
	}
}

// run takes the next batch of queued inputs when the CPU becomes free.
func (r *replica) run() {
	r.scheduled = false
	k := min(len(r.inbox), r.s.cfg.MaxBatch)
	r.batch = append(r.batch[:0], r.inbox[:k]...)
	n := copy(r.inbox, r.inbox[k:])
	clear(r.inbox[n:])
	r.inbox = r.inbox[:n]
	r.process(r.batch)
	if len(r.inbox) > 0 && r.up {
		r.scheduled = true
		r.s.q.push(r.busyUntil, event{kind: evRun, to: r.idx, epoch: r.epoch})
	}
}

// process feeds a batch to the protocol and carries out its Ready.
func (r *replica) process(batch []input) {
	s := r.s
	r.cursor = s.now
	for i := range batch {
		in := &batch[i]
		switch in.kind {
		case inStep:
			r.cursor += r.cpu.Message + r.slow
			if paxi.IsSnapshotTransfer(in.msg) {
				r.stepTransfer(s.ids[in.from], in.msg)
				break
			}
			r.proto.Step(s.ids[in.from], in.msg)
		case inPropose:
			r.cursor += r.cpu.Message + r.slow
			c := s.clients[in.client]
			if c.cur.CommandID != in.n {
				continue
			}
			r.waiting.add(in.client, c.cur.CommandID)
			r.proto.Propose(paxi.Request{Command: c.cur})
		case inTick:
			r.proto.Tick()
			if r.xfer != nil {
				r.xfer.Tick()
			}
		}
		in.msg = nil
	}
	r.inputs += uint64(len(batch))
	r.batches++
	r.ready()
}

// ready takes the protocol's Ready and carries it out.
func (r *replica) ready() {
	rd := r.proto.Ready()
	if err := paxi.Process(rd, r.kv, r); err != nil {
		r.s.failf("replica %s: %v", r.id, err)
	}
	r.flushTransfers()
	r.snapshotDue()
	r.busy += r.cursor - r.s.now
	r.busyUntil = r.cursor
}

// Persist makes records durable. With a codec, what is kept is the decoded
// copy, exactly what a restart would read back from the log.
func (r *replica) Persist(recs []paxi.Message) error {
	r.cursor += r.cpu.Persist
	for _, m := range recs {
		if r.s.cfg.Codec != nil {
			c, err := r.s.cfg.Codec(m)
			if err != nil {
				return fmt.Errorf("codec round trip of record %s: %w", paxi.MessageName(m), err)
			}
			m = c
		}
		if r.s.keepDurable {
			r.durable.append(m)
		}
	}
	r.persisted += uint64(len(recs))
	return nil
}

// Send hands messages to the network; they leave when the CPU has produced
// them.
func (r *replica) Send(msgs []paxi.Envelope) {
	s := r.s
	for i := range msgs {
		m := &msgs[i]
		r.cursor += r.cpu.Send
		if m.From != r.id {
			s.failf("replica %s sends a message (%s) with From=%s", r.id, paxi.MessageName(m.Msg), m.From)
			return
		}
		to := s.index(m.To)
		if to < 0 || to == r.idx {
			s.failf("replica %s sends %s to %q, which is not a peer", r.id, paxi.MessageName(m.Msg), m.To)
			return
		}
		s.send(r.idx, to, m.Msg, r.cursor)
	}
}

// Executed logs an applied command and answers the client waiting here.
func (r *replica) Executed(c paxi.Command, res paxi.Result) {
	r.cursor += r.cpu.Execute
	if res.Duplicate {
		r.duplicates++
	} else if c.Op != paxi.Noop {
		r.executed++
		if r.log.keep {
			r.log.Commands = appendDoubling(r.log.Commands, c)
		}
		r.log.count++
		r.log.sum += mix(c.ClientID, c.CommandID)
	}
	// Every replica executes every command but at most one has its client
	// waiting: the client's packed state, which every replica reads for
	// the same command, rules the others out before their own lists.
	key := c.Ident()
	if !r.s.waitsAt(c, r.idx) || !r.waiting.latest(key) {
		return
	}
	if k, ok := r.waiting.take(key); ok {
		r.s.replyToClient(r, k, c.CommandID, res.Value, false, -1)
	}
}

// waitsAt reports whether the client of command c is waiting for it at
// replica at. Client ids are client indices plus one.
func (s *Sim) waitsAt(c paxi.Command, at int32) bool {
	k := c.ClientID - 1
	if k >= uint64(len(s.waits)) {
		return false
	}
	w := &s.waits[k]
	return w.busy && w.at == at && w.cmd == c.CommandID
}

// Replied answers a client waiting here with a reply that did not come
// from execution.
func (r *replica) Replied(rep paxi.Reply) {
	k, ok := r.waiting.take(rep.Ident())
	if !ok {
		return
	}
	if rep.Err != "" {
		leader := int32(-1)
		if rep.Leader != "" {
			leader = r.s.index(rep.Leader)
		}
		r.s.replyToClient(r, k, rep.CommandID, rep.Err, true, leader)
		return
	}
	r.s.replyToClient(r, k, rep.CommandID, rep.Value, false, -1)
}

// durableLog is an append-only list of records kept in fixed-size chunks,
// so that a long run's log grows without copying what it already holds.
type durableLog struct {
	chunks  [][]paxi.Message
	n       int
	dropped int // records truncated behind a snapshot (snapshot.go)
}

const durableChunk = 4096

func (d *durableLog) append(m paxi.Message) {
	if k := len(d.chunks); k == 0 || len(d.chunks[k-1]) == durableChunk {
		d.chunks = append(d.chunks, make([]paxi.Message, 0, durableChunk))
	}
	last := &d.chunks[len(d.chunks)-1]
	*last = append(*last, m)
	d.n++
}

// all returns a copy of every record in order, or nil if there is none.
func (d *durableLog) all() []paxi.Message {
	if d.n == 0 {
		return nil
	}
	out := make([]paxi.Message, 0, d.n)
	for _, c := range d.chunks {
		out = append(out, c...)
	}
	return out
}

// mix hashes a command's identity so that a replica's executed set can be
// compared cheaply (count and sum) while waiting for the replicas to agree.
func mix(a, b uint64) uint64 {
	x := a*0x9E3779B97F4A7C15 ^ b
	x ^= x >> 31
	x *= 0xBF58476D1CE4E5B9
	x ^= x >> 29
	return x
}

// start builds the protocol of a fresh or restarted replica and takes its
// first Ready, in which a restarted protocol re-executes what it restores.
func (s *Sim) start(r *replica) error {
	f, err := paxi.Lookup(s.cfg.Protocol)
	if err != nil {
		return err
	}
	restored, kv := r.restoredFromSnapshot()
	env := paxi.Env{
		ID:       r.id,
		Peers:    append([]paxi.ID(nil), s.ids...),
		Params:   s.cfg.Params,
		Rand:     rand.New(rand.NewSource(s.rng.Int63())),
		Log:      s.cfg.Log,
		Restored: restored,
		// Nearest by mean round-trip time in the latency matrix.
		Nearest: paxi.NearestFirst(r.id, s.ids, func(p paxi.ID) int64 {
			return int64(s.cfg.Latency.Between(r.zone, p.Zone()).Avg + s.cfg.Latency.Between(p.Zone(), r.zone).Avg)
		}),
	}
	p, err := f(env)
	if err != nil {
		return fmt.Errorf("replica %s: %w", r.id, err)
	}
	r.proto = p
	r.kv = kv
	r.up = true
	r.newTransfers()
	r.busyUntil = s.now
	r.log = &ExecLog{Replica: r.id, Incarnation: int(r.epoch), keep: !s.cfg.Check.NoExecution}
	s.logs = append(s.logs, r.log)
	r.inheritExecLog()
	// Ticks start at a phase that differs per replica, so that replicas do
	// not time out in lockstep, yet the same on every run.
	phase := s.cfg.Tick * time.Duration(r.idx+1) / time.Duration(len(s.replicas)+1)
	s.q.push(s.now+phase, event{kind: evTick, to: r.idx, epoch: r.epoch})
	r.cursor = s.now
	r.ready()
	return nil
}

// tick feeds one tick and schedules the next, for as long as the
// incarnation lives.
func (s *Sim) tick(e *event) {
	r := s.replicas[e.to]
	if !r.up || r.epoch != e.epoch {
		return
	}
	s.q.push(s.now+s.cfg.Tick, event{kind: evTick, to: r.idx, epoch: r.epoch})
	r.arrive(input{kind: inTick})
}
