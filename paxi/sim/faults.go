package sim

import (
	"fmt"
	"strings"
	"time"

	"github.com/agora-consensus/agora/paxi"
)

// replica returns the replica named id, failing the run if there is none.
func (s *Sim) replica(id paxi.ID) *replica {
	i := s.index(id)
	if i < 0 {
		s.failf("no replica %q (have %v)", id, s.ids)
		return nil
	}
	return s.replicas[i]
}

func (s *Sim) note(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	s.actions = append(s.actions, fmt.Sprintf("%v %s", s.now, msg))
	if s.trace != nil {
		s.tracef("fault: %s", msg)
	}
}

// Crash stops replica id: its protocol object is discarded with everything
// it had not persisted, messages in flight to it are lost, and its clients
// stop with their commands pending. Crashing a crashed replica does nothing.
func (s *Sim) Crash(id paxi.ID) {
	r := s.replica(id)
	if r == nil || !r.up {
		return
	}
	if !s.keepDurable {
		// Run decided from the schedule that nothing crashes; a restart
		// would come back without the records it needs.
		s.failf("crash of %s in a run built without durable records", id)
		return
	}
	s.note("crash %s", id)
	s.down(r)
}

// down stops replica r as a crash does.
func (s *Sim) down(r *replica) {
	r.up = false
	r.proto = nil
	r.kv = nil
	r.crashedAt = append(r.crashedAt, s.now)
	r.epoch++
	clear(r.inbox)
	r.inbox = r.inbox[:0]
	r.scheduled = false
	r.busyUntil = s.now
	r.waiting = waiters{}
	s.killClients(r)
}

// Restart brings a crashed replica back: a new protocol object is built
// from the records it persisted (Env.Restored) with an empty state machine,
// which the protocol refills by re-executing. If the load is on, fresh
// clients attach to it. Restarting a running replica does nothing.
func (s *Sim) Restart(id paxi.ID) {
	r := s.replica(id)
	if r == nil || r.up {
		return
	}
	s.note("restart %s (%d records)", id, r.durable.n)
	if err := s.start(r); err != nil {
		s.failf("restart %s: %v", id, err)
		return
	}
	if s.loadOn && r.clientsOn {
		s.startClients(r)
	}
}

// Up reports whether replica id is running.
func (s *Sim) Up(id paxi.ID) bool {
	r := s.replica(id)
	return r != nil && r.up
}

// Partition splits the replicas into groups that cannot reach each other;
// replicas not listed form one more group together. It replaces any
// earlier partition.
func (s *Sim) Partition(groups ...[]paxi.ID) {
	var parts []string
	for i := range s.net.group {
		s.net.group[i] = 0
	}
	for g, ids := range groups {
		for _, id := range ids {
			if r := s.replica(id); r != nil {
				s.net.group[r.idx] = g + 1
			}
		}
		parts = append(parts, fmt.Sprint(ids))
	}
	s.note("partition %s", strings.Join(parts, " | "))
}

// Isolate cuts replica id off from every other replica.
func (s *Sim) Isolate(id paxi.ID) { s.Partition([]paxi.ID{id}) }

// Heal removes any partition, full or partial (Cut).
func (s *Sim) Heal() {
	for i := range s.net.group {
		s.net.group[i] = 0
	}
	clear(s.net.cutLink)
	s.note("heal")
}

// SetLinkFaults sets the faults of the directed link from -> to; an empty
// from or to means every replica.
func (s *Sim) SetLinkFaults(from, to paxi.ID, f LinkFaults) {
	n := s.net.n
	for i := 0; i < n; i++ {
		if from != "" && s.ids[i] != from {
			continue
		}
		for j := 0; j < n; j++ {
			if (to != "" && s.ids[j] != to) || i == j {
				continue
			}
			s.net.faults[i*n+j] = f
		}
	}
	s.note("links %s->%s %v", orAll(from), orAll(to), f)
}

func orAll(id paxi.ID) string {
	if id == "" {
		return "*"
	}
	return string(id)
}

// SetAllLinkFaults sets the same faults on every link.
func (s *Sim) SetAllLinkFaults(f LinkFaults) { s.SetLinkFaults("", "", f) }

// ClearLinkFaults removes every link fault (partitions are kept; see Heal).
func (s *Sim) ClearLinkFaults() { s.SetAllLinkFaults(LinkFaults{}) }

// SetSlow makes replica id spend extra service time on every input it
// receives (0 makes it normal again).
func (s *Sim) SetSlow(id paxi.ID, extra time.Duration) {
	if r := s.replica(id); r != nil {
		r.slow = extra
		s.note("slow %s +%v per input", id, extra)
	}
}

// StopClients lets the clients of replica id finish their current command
// and stop, and keeps new ones from starting there, until StartClients.
// Scenarios for protocols without recovery use it to quiesce a replica
// before crashing it.
func (s *Sim) StopClients(id paxi.ID) {
	if r := s.replica(id); r != nil {
		r.clientsOn = false
		s.stopClients(r)
		s.note("stop clients at %s", id)
	}
}

// StartClients attaches fresh clients to replica id again (if it runs and
// the load is on).
func (s *Sim) StartClients(id paxi.ID) {
	r := s.replica(id)
	if r == nil || r.clientsOn {
		return
	}
	r.clientsOn = true
	s.note("start clients at %s", id)
	if r.up && s.loadOn {
		s.startClients(r)
	}
}

// HealAll ends every fault: partitions, link faults, holds and slow nodes
// are cleared (messages already held still arrive when their hold would
// have ended), crashed replicas restart and stopped clients start again.
func (s *Sim) HealAll() {
	s.Heal()
	s.net.holds = nil
	s.ClearLinkFaults()
	for _, r := range s.replicas {
		if r.slow != 0 {
			s.SetSlow(r.id, 0)
		}
	}
	for _, r := range s.replicas {
		if !r.up {
			s.Restart(r.id)
		}
	}
	for _, r := range s.replicas {
		s.StartClients(r.id)
	}
}
