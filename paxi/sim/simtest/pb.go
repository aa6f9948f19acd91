// Package simtest holds "simtest-pb", a deliberately small replicated
// protocol used to test the simulator and the conformance suite before the
// real protocols exist, and to give bin/sim something that always runs.
//
// It is primary-backup with a fixed primary (the first replica) and
// majority acknowledgements, which makes it obviously safe: only the
// primary assigns log slots, it persists each slot before announcing it, a
// backup persists a slot before acknowledging it, and a slot commits once a
// majority (the primary included) holds it. Everyone executes committed
// slots in order. Lost messages are repaired by the primary resending
// unacknowledged slots and backups re-forwarding commands they have not
// seen executed. It has no recovery: while the primary is down nothing
// commits, which its conformance capabilities declare.
package simtest

import (
	"fmt"
	"math/bits"

	"github.com/agora-consensus/agora/paxi"
)

// Name is the registered protocol name.
const Name = "simtest-pb"

func init() {
	paxi.Register(Name, func(env paxi.Env) (paxi.Protocol, error) { return New(env) })
	paxi.RegisterMessage("simtest.Forward", &Forward{})
	paxi.RegisterMessage("simtest.Accept", &Accept{})
	paxi.RegisterMessage("simtest.AcceptAck", &AcceptAck{})
	paxi.RegisterMessage("simtest.Heartbeat", &Heartbeat{})
	paxi.RegisterMessage("simtest.Entry", &Entry{})
}

// Forward carries a client command from a backup to the primary.
type Forward struct {
	Cmd paxi.Command
}

// Accept announces slot Slot, and the primary's commit point.
type Accept struct {
	Slot   int64
	Cmd    paxi.Command
	Commit int64
}

// AcceptAck says the sender durably holds slot Slot.
type AcceptAck struct {
	Slot int64
}

// Heartbeat carries the primary's commit point: slots below it are committed.
type Heartbeat struct {
	Commit int64
}

// Entry is the persisted record of one slot.
type Entry struct {
	Slot int64
	Cmd  paxi.Command
}

// Params are the protocol's knobs, in ticks.
type Params struct {
	// RetryTicks is how long before an unacknowledged slot is resent and a
	// pending forward is forwarded again.
	RetryTicks int `json:"retry_ticks"`
	// HeartbeatTicks is the interval between commit-point broadcasts.
	HeartbeatTicks int `json:"heartbeat_ticks"`
	// ResendLimit caps the slots resent to one peer per retry.
	ResendLimit int `json:"resend_limit"`
	// Bug injects a deliberate defect, so that tests can show the checks
	// catch it: "swap_order" makes backups execute each pair of slots in
	// reverse order, "no_retransmit" disables every resend, and
	// "local_reads" makes backups answer reads from their own, possibly
	// stale, state machine without ordering them.
	Bug string `json:"bug,omitempty"`
}

// slot is one log position.
type slot struct {
	has  bool
	cmd  paxi.Command
	acks uint64 // primary: peers known to hold it
	sent int64  // primary: tick of the last (re)send
}

// forward is a command a backup forwarded and has not seen executed.
type forward struct {
	cmd  paxi.Command
	sent int64 // tick of the last forward
	done bool  // executed; dropped at the next compaction
}

// Replica is one replica of simtest-pb.
type Replica struct {
	paxi.Outbox
	p        Params
	peers    []paxi.ID
	self     int
	primary  bool
	log      []slot
	commit   int64 // slots below it are committed
	executed int64 // slots below it are executed
	now      int64 // ticks

	assigned map[paxi.CommandKey]bool // primary: commands given a slot
	low      []int64                  // primary, per peer: slots below are acknowledged

	pending []forward                 // backup: forwarded, in order
	waiting map[paxi.CommandKey]int32 // backup: index in pending of those not executed

	resends uint64
}

// New builds a replica, restoring the slots it persisted.
func New(env paxi.Env) (*Replica, error) {
	p := Params{RetryTicks: 40, HeartbeatTicks: 10, ResendLimit: 64}
	if err := paxi.DecodeParams(env.Params, &p); err != nil {
		return nil, err
	}
	if len(env.Peers) > 64 {
		return nil, fmt.Errorf("%s: at most 64 replicas", Name)
	}
	r := &Replica{
		Outbox:   paxi.NewOutbox(env.ID, env.Peers),
		p:        p,
		peers:    env.Peers,
		self:     paxi.IndexOf(env.Peers, env.ID),
		primary:  env.ID == env.Peers[0],
		assigned: map[paxi.CommandKey]bool{},
		waiting:  map[paxi.CommandKey]int32{},
		low:      make([]int64, len(env.Peers)),
	}
	if r.self < 0 {
		return nil, fmt.Errorf("%s: %s is not among the peers %v", Name, env.ID, env.Peers)
	}
	for _, m := range env.Restored {
		e, ok := m.(*Entry)
		if !ok {
			return nil, fmt.Errorf("%s: unexpected record %T", Name, m)
		}
		r.store(e.Slot, e.Cmd)
		if r.primary {
			r.assigned[e.Cmd.Ident()] = true
		}
	}
	if r.primary {
		for i := range r.log {
			r.log[i].acks = 1 << uint(r.self)
			r.log[i].sent = -int64(r.p.RetryTicks)
		}
	}
	return r, nil
}

// store puts a command in a slot, growing the log.
func (r *Replica) store(s int64, c paxi.Command) {
	for int64(len(r.log)) <= s {
		r.log = append(r.log, slot{})
	}
	if r.log[s].has && r.log[s].cmd != c {
		panic(fmt.Sprintf("%s: %s: slot %d holds %v, offered %v", Name, r.Self(), s, r.log[s].cmd, c))
	}
	r.log[s].has, r.log[s].cmd = true, c
}

// Propose assigns a slot at the primary and forwards elsewhere.
func (r *Replica) Propose(req paxi.Request) {
	if r.p.Bug == "local_reads" && !r.primary && req.Command.Op == paxi.Get {
		r.Execute(req.Command)
		return
	}
	if r.primary {
		r.assign(req.Command)
		return
	}
	r.waiting[req.Command.Ident()] = int32(len(r.pending))
	r.pending = append(r.pending, forward{cmd: req.Command, sent: r.now})
	r.Send(r.peers[0], &Forward{Cmd: req.Command})
}

func (r *Replica) assign(c paxi.Command) {
	if r.assigned[c.Ident()] {
		return
	}
	r.assigned[c.Ident()] = true
	s := int64(len(r.log))
	r.store(s, c)
	r.log[s].acks = 1 << uint(r.self)
	r.log[s].sent = r.now
	r.Persist(&Entry{Slot: s, Cmd: c})
	r.Broadcast(&Accept{Slot: s, Cmd: c, Commit: r.commit})
	r.advance()
}

// Step handles a peer's message.
func (r *Replica) Step(from paxi.ID, msg paxi.Message) {
	p := paxi.IndexOf(r.peers, from)
	if p < 0 {
		return
	}
	switch m := msg.(type) {
	case *Forward:
		if r.primary {
			r.assign(m.Cmd)
		}
	case *Accept:
		if r.primary || p != 0 {
			return
		}
		if m.Slot >= int64(len(r.log)) || !r.log[m.Slot].has {
			r.store(m.Slot, m.Cmd)
			r.Persist(&Entry{Slot: m.Slot, Cmd: m.Cmd})
		} else {
			r.store(m.Slot, m.Cmd)
		}
		r.Send(from, &AcceptAck{Slot: m.Slot})
		r.learn(m.Commit)
	case *AcceptAck:
		if r.primary && m.Slot < int64(len(r.log)) {
			r.log[m.Slot].acks |= 1 << uint(p)
			r.advance()
		}
	case *Heartbeat:
		if !r.primary && p == 0 {
			r.learn(m.Commit)
		}
	}
}

// advance moves the primary's commit point over slots a majority holds.
func (r *Replica) advance() {
	for r.commit < int64(len(r.log)) && bits.OnesCount64(r.log[r.commit].acks) >= paxi.Majority(len(r.peers)) {
		r.commit++
	}
	r.execute()
}

// learn takes a commit point from the primary.
func (r *Replica) learn(c int64) {
	if c > r.commit {
		r.commit = c
	}
	r.execute()
}

// execute applies committed slots in order, stopping at a slot not held yet.
func (r *Replica) execute() {
	for r.executed < r.commit && r.executed < int64(len(r.log)) && r.log[r.executed].has {
		c := r.log[r.executed].cmd
		if r.p.Bug == "swap_order" && !r.primary && r.executed%2 == 0 {
			if r.executed+1 >= r.commit || r.executed+1 >= int64(len(r.log)) || !r.log[r.executed+1].has {
				return
			}
			r.apply(r.log[r.executed+1].cmd)
			r.apply(c)
			r.executed += 2
			continue
		}
		r.apply(c)
		r.executed++
	}
}

// apply executes one command and forgets its forward.
func (r *Replica) apply(c paxi.Command) {
	r.Execute(c)
	if i, ok := r.waiting[c.Ident()]; ok {
		r.pending[i].done = true
		delete(r.waiting, c.Ident())
	}
}

// Tick drives heartbeats and retries.
func (r *Replica) Tick() {
	r.now++
	if r.p.Bug == "no_retransmit" {
		return
	}
	if r.primary {
		if r.now%int64(r.p.HeartbeatTicks) == 0 {
			r.Broadcast(&Heartbeat{Commit: r.commit})
		}
		if r.now%int64(r.p.RetryTicks) == 0 {
			r.resend()
		}
		return
	}
	r.compact()
	sent := 0
	for i := range r.pending {
		f := &r.pending[i]
		if f.done {
			continue
		}
		if r.now-f.sent >= int64(r.p.RetryTicks) && sent < r.p.ResendLimit {
			f.sent = r.now
			r.Send(r.peers[0], &Forward{Cmd: f.cmd})
			r.resends++
			sent++
		}
	}
}

// compact drops executed forwards once they are the majority of pending.
func (r *Replica) compact() {
	if len(r.waiting)*2 > len(r.pending) {
		return
	}
	live := r.pending[:0]
	for _, f := range r.pending {
		if !f.done {
			r.waiting[f.cmd.Ident()] = int32(len(live))
			live = append(live, f)
		}
	}
	clear(r.pending[len(live):])
	r.pending = live
}

// resend sends each backup the slots it has not acknowledged and that were
// last sent at least RetryTicks ago.
func (r *Replica) resend() {
	for p := range r.peers {
		if p == r.self {
			continue
		}
		bit := uint64(1) << uint(p)
		for r.low[p] < int64(len(r.log)) && r.log[r.low[p]].acks&bit != 0 {
			r.low[p]++
		}
		sent := 0
		for s := r.low[p]; s < int64(len(r.log)) && sent < r.p.ResendLimit; s++ {
			e := &r.log[s]
			if e.acks&bit != 0 || r.now-e.sent < int64(r.p.RetryTicks) {
				continue
			}
			r.Send(r.peers[p], &Accept{Slot: s, Cmd: e.cmd, Commit: r.commit})
			r.resends++
			sent++
		}
	}
	first := int64(len(r.log))
	for p := range r.peers {
		if p != r.self {
			first = min(first, r.low[p])
		}
	}
	for s := first; s < int64(len(r.log)); s++ {
		if r.now-r.log[s].sent >= int64(r.p.RetryTicks) && bits.OnesCount64(r.log[s].acks) < len(r.peers) {
			r.log[s].sent = r.now
		}
	}
}

// Stats reports resends.
func (r *Replica) Stats() []paxi.Stat {
	return []paxi.Stat{{Name: "resends_total", Help: "slots resent", Value: float64(r.resends), Counter: true}}
}
