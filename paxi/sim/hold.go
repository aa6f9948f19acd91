package sim

import (
	"math/rand"
	"slices"
	"strings"
	"time"

	"github.com/agora-consensus/agora/paxi"
)

// HoldRule holds back messages on the directed links from From to To (""
// is any replica) for For: the matching messages sent while the rule is on
// are kept by the network and delivered only when it ends (after their
// normal link latency), overtaking nothing sent earlier and ignoring the
// links' FIFO order, as a message stuck in a retransmission queue while the
// cluster moves on would. Types restricts the rule to messages of those
// registered names (paxi.MessageName, e.g. "multipaxos.CatchUp"); Count,
// when positive, to the first Count matching messages. A held message is
// still lost if a partition separates its ends, or its destination crashed,
// by the time it arrives.
type HoldRule struct {
	From  paxi.ID       `json:"from,omitempty"`
	To    paxi.ID       `json:"to,omitempty"`
	Types []string      `json:"types,omitempty"`
	Count int           `json:"count,omitempty"`
	For   paxi.Duration `json:"for"`
}

// CutRule cuts the links between Node and each of Peers, both ways, until
// the next Heal: a partial partition, in which Node still reaches the
// replicas not listed and they reach everyone. (For one direction only,
// use a LinkRule with Drop 1.)
type CutRule struct {
	Node  paxi.ID   `json:"node"`
	Peers []paxi.ID `json:"peers"`
}

// hold is an active HoldRule.
type hold struct {
	from, to int32 // -1: any
	types    []string
	left     int // messages still to hold; -1: no limit
	until    time.Duration
}

// Hold starts holding back the messages r matches, until now + r.For.
func (s *Sim) Hold(r HoldRule) {
	h := hold{from: -1, to: -1, types: r.Types, left: -1, until: s.now + time.Duration(r.For)}
	if r.From != "" {
		h.from = s.index(r.From)
	}
	if r.To != "" {
		h.to = s.index(r.To)
	}
	if r.Count > 0 {
		h.left = r.Count
	}
	s.net.holds = append(s.net.holds, h)
	s.note("hold %s->%s %v count=%d until %v", orAll(r.From), orAll(r.To), r.Types, r.Count, h.until)
}

// Cut cuts the links between r.Node and each of r.Peers (see CutRule).
func (s *Sim) Cut(r CutRule) {
	a := s.replica(r.Node)
	if a == nil {
		return
	}
	n := s.net.n
	for _, id := range r.Peers {
		if b := s.replica(id); b != nil && b != a {
			s.net.cutLink[int(a.idx)*n+int(b.idx)] = true
			s.net.cutLink[int(b.idx)*n+int(a.idx)] = true
		}
	}
	s.note("cut %s from %v", r.Node, r.Peers)
}

// heldUntil reports when a message from -> to sent now is released, or 0
// if no hold matches it; a match uses up one of its rule's count.
func (s *Sim) heldUntil(from, to int32, msg paxi.Message) time.Duration {
	nw := &s.net
	nw.holds = slices.DeleteFunc(nw.holds, func(h hold) bool { return h.until <= s.now || h.left == 0 })
	name := ""
	for i := range nw.holds {
		h := &nw.holds[i]
		if (h.from >= 0 && h.from != from) || (h.to >= 0 && h.to != to) {
			continue
		}
		if len(h.types) > 0 {
			if name == "" {
				name = paxi.MessageName(msg)
			}
			if !slices.Contains(h.types, name) {
				continue
			}
		}
		if h.left > 0 {
			h.left--
		}
		nw.held++
		return h.until
	}
	return 0
}

// maxHolds caps the holds a random schedule has on at once.
const maxHolds = 2

// drawCut draws a partial partition: a replica that may be cut off and a
// random non-empty set of the other such replicas it loses contact with.
// It fails when fewer than two replicas may be cut off.
func (o RandomFaults) drawCut(rng *rand.Rand, ids, candidates []paxi.ID) (*CutRule, bool) {
	if len(candidates) < 2 {
		return nil, false
	}
	node := candidates[rng.Intn(len(candidates))]
	var peers []paxi.ID
	for _, id := range candidates {
		if id != node && rng.Intn(2) == 0 {
			peers = append(peers, id)
		}
	}
	if len(peers) == 0 {
		return nil, false
	}
	return &CutRule{Node: node, Peers: peers}, true
}

// drawHold draws a hold starting at t, in one of three shapes: one message
// of a random type on one link; every message of a random type on one
// link; every message of a random type one replica sends. It lasts long
// enough (up to 5s) for leases and election timeouts to expire while the
// messages wait, and ends by Stop.
func (o RandomFaults) drawHold(rng *rand.Rand, ids []paxi.ID, t time.Duration) (*HoldRule, bool) {
	var from []paxi.ID
	for _, id := range ids {
		if paxi.IndexOf(o.Avoid, id) < 0 {
			from = append(from, id)
		}
	}
	if len(from) == 0 || len(ids) < 2 || o.Stop-t < time.Millisecond {
		return nil, false
	}
	h := &HoldRule{From: from[rng.Intn(len(from))]}
	for h.To == "" || h.To == h.From {
		h.To = ids[rng.Intn(len(ids))]
	}
	if len(o.Types) > 0 {
		h.Types = []string{o.Types[rng.Intn(len(o.Types))]}
	}
	d := 300*time.Millisecond + time.Duration(rng.Int63n(int64(4700*time.Millisecond)))
	switch rng.Intn(3) {
	case 0:
		h.Count = 1
	case 1:
	case 2:
		h.To = ""
		d /= 2
	}
	h.For = paxi.Duration(min(d, o.Stop-t))
	return h, true
}

// ProtocolMessages lists the registered message names of a protocol: those
// that start with its name and a dot ("multipaxos.Accept"), sorted. Records
// that are only persisted are among them; a hold on one holds nothing.
func ProtocolMessages(protocol string) []string {
	var out []string
	for _, mt := range paxi.MessageTypes() {
		if strings.HasPrefix(mt.Name, protocol+".") {
			out = append(out, mt.Name)
		}
	}
	return out
}
