package transport

import (
	"fmt"
	"math/rand"
	"sync"
	"time"

	"github.com/agora-consensus/agora/paxi"
)

// Faults is the set of faults a Faulty transport injects. Drop, Flaky and
// Delay shape this replica's outgoing links only, so a one-way fault is
// one setting at one replica; Crash and Partition cut both directions, as a
// crashed machine or a network partition would.
type Faults struct {
	// Drop lists peers every message to which is lost.
	Drop []paxi.ID
	// Flaky maps a peer to the probability that a message to it is lost.
	Flaky map[paxi.ID]float64
	// Delay maps a peer to how long messages to it are held back. Delayed
	// messages keep their order.
	Delay map[paxi.ID]time.Duration
	// Crash stops this replica sending and receiving anything.
	Crash bool
	// Partition splits replicas into groups that cannot talk to each
	// other. A replica not named in any group is alone in its own. Empty
	// means no partition.
	Partition [][]paxi.ID
}

// maxDelay bounds an injected delay; anything longer is almost surely a
// typo (an "s" for an "ms"), and a replica would look dead anyway.
const maxDelay = time.Minute

// Validate checks that the faults make sense: probabilities in [0, 1],
// delays in [0, 1m], and no replica in two partition groups.
func (f Faults) Validate() error {
	for _, id := range f.Drop {
		if _, err := paxi.ParseID(string(id)); err != nil {
			return fmt.Errorf("drop: %w", err)
		}
	}
	for id, p := range f.Flaky {
		if _, err := paxi.ParseID(string(id)); err != nil {
			return fmt.Errorf("flaky: %w", err)
		}
		if !(p >= 0 && p <= 1) {
			return fmt.Errorf("flaky %s: probability %v is outside [0, 1]", id, p)
		}
	}
	for id, d := range f.Delay {
		if _, err := paxi.ParseID(string(id)); err != nil {
			return fmt.Errorf("delay: %w", err)
		}
		if d < 0 || d > maxDelay {
			return fmt.Errorf("delay %s: %v is outside [0, %v]", id, d, maxDelay)
		}
	}
	seen := map[paxi.ID]int{}
	for g, group := range f.Partition {
		if len(group) == 0 {
			return fmt.Errorf("partition: group %d is empty", g)
		}
		for _, id := range group {
			if _, err := paxi.ParseID(string(id)); err != nil {
				return fmt.Errorf("partition: %w", err)
			}
			if prev, dup := seen[id]; dup {
				return fmt.Errorf("partition: %s is in both group %d and group %d", id, prev, g)
			}
			seen[id] = g
		}
	}
	return nil
}

// faultState is Faults indexed for the per-message checks.
type faultState struct {
	drop    map[paxi.ID]bool
	flaky   map[paxi.ID]float64
	delay   map[paxi.ID]time.Duration
	crashed bool
	group   map[paxi.ID]int // partition group of each named replica; nil without a partition
}

func newFaultState() faultState {
	return faultState{drop: map[paxi.ID]bool{}, flaky: map[paxi.ID]float64{}, delay: map[paxi.ID]time.Duration{}}
}

// cut reports whether the link between self and peer is down in both
// directions: crashed, or on different sides of a partition.
func (s *faultState) cut(self, peer paxi.ID) bool {
	if s.crashed {
		return true
	}
	if s.group == nil {
		return false
	}
	gs, ok1 := s.group[self]
	gp, ok2 := s.group[peer]
	return !ok1 || !ok2 || gs != gp
}

// Faulty wraps a transport and injects faults into it, for tests and for
// experiments on real replicas. All its methods are safe to call
// concurrently with Send and with each other.
type Faulty struct {
	inner   Transport
	self    paxi.ID
	inbox   chan paxi.Envelope
	closing chan struct{} // closed by Close
	wg      sync.WaitGroup

	mu        sync.Mutex
	rnd       *rand.Rand                // decides flaky losses; not goroutine-safe itself
	state     faultState                // current faults
	partition [][]paxi.ID               // the partition as given, for Faults
	lines     map[paxi.ID]*delayLine    // delayed messages per peer, created on first use
	link      map[paxi.ID]time.Duration // emulated one-way latency per peer, under every fault
	closed    bool                      // Close has begun
}

// NewFaulty wraps inner, the transport of replica self. rnd decides which
// messages a flaky link loses; nil means a source seeded from the clock.
// Close closes inner too.
func NewFaulty(inner Transport, self paxi.ID, rnd *rand.Rand) *Faulty {
	if rnd == nil {
		rnd = rand.New(rand.NewSource(time.Now().UnixNano()))
	}
	f := &Faulty{
		inner:   inner,
		self:    self,
		inbox:   make(chan paxi.Envelope, cap(inner.Inbox())),
		closing: make(chan struct{}),
		rnd:     rnd,
		state:   newFaultState(),
		lines:   map[paxi.ID]*delayLine{},
		link:    map[paxi.ID]time.Duration{},
	}
	f.wg.Add(1)
	go f.receive()
	return f
}

// Send implements Transport, applying the faults of the link to e.To.
func (f *Faulty) Send(e paxi.Envelope) {
	f.mu.Lock()
	s := &f.state
	if f.closed || s.cut(f.self, e.To) || s.drop[e.To] {
		f.mu.Unlock()
		return
	}
	if p := s.flaky[e.To]; p > 0 && f.rnd.Float64() < p {
		f.mu.Unlock()
		return
	}
	// Once delayed messages to a peer are waiting, later ones queue behind
	// them even if the delay was lifted, so that none overtakes another.
	if d := s.delay[e.To] + f.link[e.To]; d > 0 || f.lines[e.To].busy() {
		f.delayLocked(e, d)
		f.mu.Unlock()
		return
	}
	f.mu.Unlock()
	f.inner.Send(e)
}

// receive forwards what inner delivers, except from peers cut off from
// this replica.
func (f *Faulty) receive() {
	defer f.wg.Done()
	defer close(f.inbox)
	for {
		var e paxi.Envelope
		var ok bool
		select {
		case e, ok = <-f.inner.Inbox():
			if !ok {
				return
			}
		case <-f.closing:
			return
		}
		f.mu.Lock()
		cut := f.state.cut(f.self, e.From)
		f.mu.Unlock()
		if cut {
			continue
		}
		select {
		case f.inbox <- e:
		case <-f.closing:
			return
		}
	}
}

// Inbox implements Transport.
func (f *Faulty) Inbox() <-chan paxi.Envelope { return f.inbox }

// Close implements Transport: it stops the fault goroutines, dropping
// delayed messages, and closes the inner transport.
func (f *Faulty) Close() error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil
	}
	f.closed = true
	f.mu.Unlock()
	close(f.closing)
	err := f.inner.Close()
	f.wg.Wait()
	return err
}

// Drop loses every message to peer.
func (f *Faulty) Drop(peer paxi.ID) { f.update(func(s *faultState) { s.drop[peer] = true }) }

// Undrop stops losing messages to peer.
func (f *Faulty) Undrop(peer paxi.ID) { f.update(func(s *faultState) { delete(s.drop, peer) }) }

// Flaky loses each message to peer with probability p; 0 restores the link.
func (f *Faulty) Flaky(peer paxi.ID, p float64) {
	f.update(func(s *faultState) {
		if p <= 0 {
			delete(s.flaky, peer)
		} else {
			s.flaky[peer] = min(p, 1)
		}
	})
}

// Delay holds back messages to peer for d; 0 restores the link. Messages
// already delayed keep their release time, and order is kept either way.
func (f *Faulty) Delay(peer paxi.ID, d time.Duration) {
	f.update(func(s *faultState) {
		if d <= 0 {
			delete(s.delay, peer)
		} else {
			s.delay[peer] = d
		}
	})
}

// Crash stops this replica sending and receiving anything, including
// delayed messages not yet released, until Recover.
func (f *Faulty) Crash() { f.update(func(s *faultState) { s.crashed = true }) }

// Recover undoes Crash.
func (f *Faulty) Recover() { f.update(func(s *faultState) { s.crashed = false }) }

// Partition splits the replicas into groups that cannot talk to each other;
// a replica named in no group is alone in its own. It replaces any earlier
// partition, and fails if a replica is named twice.
func (f *Faulty) Partition(groups ...[]paxi.ID) error {
	if err := (Faults{Partition: groups}).Validate(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.setPartitionLocked(groups)
	return nil
}

// Heal removes the partition.
func (f *Faulty) Heal() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.setPartitionLocked(nil)
}

func (f *Faulty) setPartitionLocked(groups [][]paxi.ID) {
	f.partition = nil
	f.state.group = nil
	if len(groups) == 0 {
		return
	}
	f.state.group = map[paxi.ID]int{}
	for g, group := range groups {
		f.partition = append(f.partition, append([]paxi.ID(nil), group...))
		for _, id := range group {
			f.state.group[id] = g
		}
	}
}

// Clear removes every fault.
func (f *Faulty) Clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.state = newFaultState()
	f.partition = nil
}

// Set replaces every fault with faults, after validating them.
func (f *Faulty) Set(faults Faults) error {
	if err := faults.Validate(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s := newFaultState()
	for _, id := range faults.Drop {
		s.drop[id] = true
	}
	for id, p := range faults.Flaky {
		if p > 0 {
			s.flaky[id] = p
		}
	}
	for id, d := range faults.Delay {
		if d > 0 {
			s.delay[id] = d
		}
	}
	s.crashed = faults.Crash
	f.state = s
	f.setPartitionLocked(faults.Partition)
	return nil
}

// Faults returns the faults in force, with peers in (zone, node) order.
func (f *Faulty) Faults() Faults {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := Faults{Crash: f.state.crashed}
	for id := range f.state.drop {
		out.Drop = append(out.Drop, id)
	}
	paxi.SortIDs(out.Drop)
	if len(f.state.flaky) > 0 {
		out.Flaky = map[paxi.ID]float64{}
		for id, p := range f.state.flaky {
			out.Flaky[id] = p
		}
	}
	if len(f.state.delay) > 0 {
		out.Delay = map[paxi.ID]time.Duration{}
		for id, d := range f.state.delay {
			out.Delay[id] = d
		}
	}
	for _, g := range f.partition {
		out.Partition = append(out.Partition, append([]paxi.ID(nil), g...))
	}
	return out
}

func (f *Faulty) update(change func(s *faultState)) {
	f.mu.Lock()
	change(&f.state)
	f.mu.Unlock()
}

// SetLinkDelay emulates a one-way latency of d on the link to peer (0
// removes it), to run a wide-area deployment on one machine. It is not a
// fault: Clear, Set and the fault API leave it in place, and an injected
// Delay adds to it.
func (f *Faulty) SetLinkDelay(peer paxi.ID, d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if d <= 0 {
		delete(f.link, peer)
	} else {
		f.link[peer] = d
	}
}
