package sim

import (
	"fmt"
	"strings"
	"time"

	"github.com/agora-consensus/agora/paxi"
)

// Network configures the links between replicas beyond their latency.
type Network struct {
	// Bandwidth, in bytes per second, serializes the messages of each
	// directed link (0 means unlimited).
	Bandwidth float64
	// MessageSize estimates a message's size in bytes for the bandwidth
	// model (default 100 bytes each).
	MessageSize func(paxi.Message) int
	// Faults applies to every link from the start (a Schedule can change it).
	Faults LinkFaults
}

// LinkFaults are the faults of one directed link. Setting them on one
// direction only gives asymmetric loss.
type LinkFaults struct {
	// Drop is the probability that a message is lost.
	Drop float64 `json:"drop,omitempty"`
	// Duplicate is the probability that a message is delivered twice.
	Duplicate float64 `json:"duplicate,omitempty"`
	// Delay adds a uniformly random extra delay in [0, Delay).
	Delay paxi.Duration `json:"delay,omitempty"`
	// Reorder lets messages overtake each other; links are FIFO (like a
	// TCP connection) otherwise.
	Reorder bool `json:"reorder,omitempty"`
}

func (f LinkFaults) zero() bool { return f == LinkFaults{} }

func (f LinkFaults) String() string {
	if f.zero() {
		return "{none}"
	}
	var parts []string
	if f.Drop > 0 {
		parts = append(parts, fmt.Sprintf("drop=%.2f", f.Drop))
	}
	if f.Duplicate > 0 {
		parts = append(parts, fmt.Sprintf("duplicate=%.2f", f.Duplicate))
	}
	if f.Delay > 0 {
		parts = append(parts, fmt.Sprintf("delay<%v", time.Duration(f.Delay)))
	}
	if f.Reorder {
		parts = append(parts, "reorder")
	}
	return "{" + strings.Join(parts, " ") + "}"
}

// network carries messages between replicas.
type network struct {
	n           int
	delay       []Dist          // n*n: one-way delay from replica i to j
	faults      []LinkFaults    // n*n: faults of the directed link i->j
	group       []int           // partition group of each replica; all equal when healed
	cutLink     []bool          // n*n: links cut by a partial partition (Sim.Cut)
	holds       []hold          // active HoldRules, in the order started
	lastArrival []time.Duration // n*n: latest arrival scheduled, for FIFO links
	linkFree    []time.Duration // n*n: when the link finishes sending, for bandwidth
	bandwidth   float64
	size        func(paxi.Message) int

	sent, delivered, dropped, duplicated, held uint64
}

func newNetwork(ids []paxi.ID, m Matrix, opts Network) network {
	n := len(ids)
	nw := network{
		n:           n,
		delay:       make([]Dist, n*n),
		faults:      make([]LinkFaults, n*n),
		group:       make([]int, n),
		cutLink:     make([]bool, n*n),
		lastArrival: make([]time.Duration, n*n),
		bandwidth:   opts.Bandwidth,
		size:        opts.MessageSize,
	}
	for i, a := range ids {
		for j, b := range ids {
			nw.delay[i*n+j] = m.Between(a.Zone(), b.Zone())
			nw.faults[i*n+j] = opts.Faults
		}
	}
	if nw.bandwidth > 0 {
		nw.linkFree = make([]time.Duration, n*n)
		if nw.size == nil {
			nw.size = func(paxi.Message) int { return 100 }
		}
	}
	return nw
}

// cut reports whether a partition, full or partial, separates replicas i
// and j.
func (nw *network) cut(i, j int32) bool {
	return nw.group[i] != nw.group[j] || nw.cutLink[int(i)*nw.n+int(j)]
}

// send puts one message on the link from -> to, leaving the sender at
// depart. It draws the link's faults and latency from the run's random
// source and schedules the delivery.
func (s *Sim) send(from, to int32, msg paxi.Message, depart time.Duration) {
	nw := &s.net
	nw.sent++
	if nw.cut(from, to) {
		nw.dropped++
		return
	}
	link := int(from)*nw.n + int(to)
	f := &nw.faults[link]
	copies := 1
	if !f.zero() {
		if f.Drop > 0 && s.rng.Float64() < f.Drop {
			nw.dropped++
			return
		}
		if f.Duplicate > 0 && s.rng.Float64() < f.Duplicate {
			copies = 2
			nw.duplicated++
		}
	}
	var release time.Duration
	if len(nw.holds) > 0 {
		release = s.heldUntil(from, to, msg)
	}
	for c := 0; c < copies; c++ {
		m := msg
		if s.cfg.Codec != nil {
			var err error
			if m, err = s.cfg.Codec(msg); err != nil {
				s.failf("codec round trip of %s from %s to %s: %v", paxi.MessageName(msg), s.ids[from], s.ids[to], err)
				return
			}
		}
		start := depart
		var tx time.Duration
		if nw.bandwidth > 0 {
			start = max(start, nw.linkFree[link])
			tx = time.Duration(float64(nw.size(msg)) / nw.bandwidth * float64(time.Second))
			nw.linkFree[link] = start + tx
		}
		arrive := start + tx + nw.delay[link].Sample(s.rng)
		if f.Delay > 0 {
			arrive += time.Duration(s.rng.Int63n(int64(f.Delay)))
		}
		if release > 0 {
			// Held: it arrives after the hold, out of the link's order.
			arrive = max(arrive, release+nw.delay[link].Sample(s.rng))
		} else if !f.Reorder {
			// A TCP-like link delivers in order: a message never overtakes
			// one sent before it on the same link.
			arrive = max(arrive, nw.lastArrival[link])
			nw.lastArrival[link] = arrive
		}
		s.q.push(arrive, event{
			kind: evDeliver, to: to, from: from, msg: m, depart: depart,
			epoch: s.replicas[to].epoch, fromEpoch: s.replicas[from].epoch,
		})
	}
}

// deliver hands a message that reached its destination to the replica,
// unless the link was cut while it travelled, the destination crashed since
// it was sent, or the sender crashed before the message left it.
func (s *Sim) deliver(e *event) {
	nw := &s.net
	r := s.replicas[e.to]
	src := s.replicas[e.from]
	if nw.cut(e.from, e.to) || !r.up || r.epoch != e.epoch ||
		(src.epoch != e.fromEpoch && src.crashedAt[e.fromEpoch] < e.depart) {
		nw.dropped++
		return
	}
	nw.delivered++
	if s.trace != nil {
		s.traceMessage(e)
	}
	r.arrive(input{kind: inStep, from: e.from, msg: e.msg})
}
