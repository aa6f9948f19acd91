package client

import (
	"time"

	"github.com/agora-consensus/agora/paxi"
)

// Handler receives the replies of commands issued with AsyncTo: one
// long-lived value instead of a closure per command, for load generators.
// HandleReply runs on the client's reader goroutine and must not block;
// at is when the frame holding the reply was read (one clock read per
// frame, not per reply).
type Handler interface {
	HandleReply(tag int64, r paxi.Reply, at time.Time, err error)
}

// waiter is what a pending command is answered through.
type waiter struct {
	cb  func(paxi.Reply, error)
	h   Handler
	tag int64
}

func (w waiter) call(r paxi.Reply, at time.Time, err error) {
	if w.h != nil {
		w.h.HandleReply(w.tag, r, at, err)
	} else if w.cb != nil {
		w.cb(r, err)
	}
}

// pendingSet maps command ids to waiters. Ids are issued in sequence, so
// the commands in flight fit a ring indexed by id; one that stays
// unanswered while the ring comes round again moves to a map. A map
// of every command cost a tenth of the load generator's CPU in hashing.
type pendingSet struct {
	ring  []slot
	over  map[uint64]waiter
	count int
}

type slot struct {
	id uint64 // 0: empty
	w  waiter
}

const (
	ringStart = 1 << 10
	ringMax   = 1 << 16 // 64k commands in flight per connection before the map
)

func (p *pendingSet) put(id uint64, w waiter) {
	if p.ring == nil {
		p.ring = make([]slot, ringStart)
	}
	p.count++
	for {
		s := &p.ring[id&uint64(len(p.ring)-1)]
		if s.id == 0 {
			*s = slot{id, w}
			return
		}
		if len(p.ring) < ringMax {
			p.grow()
			continue
		}
		// The occupant has waited a whole ring's worth of commands: it
		// moves aside.
		if p.over == nil {
			p.over = map[uint64]waiter{}
		}
		p.over[s.id] = s.w
		*s = slot{id, w}
		return
	}
}

// grow doubles the ring; entries that collide in it go to the map.
func (p *pendingSet) grow() {
	old := p.ring
	p.ring = make([]slot, 2*len(old))
	for _, s := range old {
		if s.id == 0 {
			continue
		}
		d := &p.ring[s.id&uint64(len(p.ring)-1)]
		if d.id == 0 {
			*d = s
			continue
		}
		if p.over == nil {
			p.over = map[uint64]waiter{}
		}
		p.over[s.id] = s.w
	}
}

// take removes and returns id's waiter.
func (p *pendingSet) take(id uint64) (waiter, bool) {
	if len(p.ring) > 0 {
		if s := &p.ring[id&uint64(len(p.ring)-1)]; s.id == id && id != 0 {
			w := s.w
			*s = slot{}
			p.count--
			return w, true
		}
	}
	if w, ok := p.over[id]; ok {
		delete(p.over, id)
		p.count--
		return w, true
	}
	return waiter{}, false
}

// all returns every waiter and empties the set.
func (p *pendingSet) all() []waiter {
	var out []waiter
	for _, s := range p.ring {
		if s.id != 0 {
			out = append(out, s.w)
		}
	}
	for _, w := range p.over {
		out = append(out, w)
	}
	*p = pendingSet{}
	return out
}
