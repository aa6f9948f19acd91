package sim

import (
	"fmt"
	"sort"
	"time"

	"github.com/agora-consensus/agora/checker"
	"github.com/agora-consensus/agora/paxi"
)

// ExecLog is what one incarnation of one replica executed, in order:
// every command the state machine applied (no-ops and duplicates skipped).
// A restarted replica starts a new log, since it re-executes from an empty
// state machine; the execution-order check compares every log with every
// other, an old incarnation's like a replica that fell behind.
type ExecLog struct {
	Replica     paxi.ID
	Incarnation int
	Commands    []paxi.Command
	keep        bool   // record Commands (off for benchmarks)
	count       int    // commands applied
	sum         uint64 // sum of mix() over them, to compare sets cheaply
}

// keyString names a command as Command.String does: #client.id.
func keyString(k paxi.CommandKey) string { return fmt.Sprintf("#%d.%d", k.ClientID, k.CommandID) }

// Name is how the execution check calls this log: the replica's id for
// its first incarnation, "id@k" for the k-th restart, since a restarted
// replica re-executes everything from an empty state machine.
func (l *ExecLog) Name() paxi.ID {
	if l.Incarnation == 0 {
		return l.Replica
	}
	return paxi.ID(fmt.Sprintf("%s@%d", l.Replica, l.Incarnation))
}

// checkExecution runs the checker's execution-order check over every
// incarnation's log: interfering commands in the same order everywhere,
// nothing executed twice, no command missing before one that must follow
// it, no acknowledged command lost. The violations are sorted so that the
// report is the same on every run.
func (s *Sim) checkExecution() []string {
	var acked []paxi.CommandKey
	if s.record && !s.cfg.Check.Unreplicated {
		for i, o := range s.hist {
			if o.Return >= 0 {
				acked = append(acked, s.histKeys[i])
			}
		}
	}
	var vs []checker.ExecViolation
	if s.cfg.Check.Unreplicated {
		for _, l := range s.logs {
			vs = append(vs, checker.CheckExecution(map[paxi.ID][]paxi.Command{l.Name(): l.Commands}, nil)...)
		}
	} else {
		logs := make(map[paxi.ID][]paxi.Command, len(s.logs))
		for _, l := range s.logs {
			logs[l.Name()] = l.Commands
		}
		vs = checker.CheckExecution(logs, acked)
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.String()
	}
	sort.Strings(out)
	return out
}

// checkLiveness verifies that, once the faults stopped, every command of a
// live client was answered within the bound, and every command executed
// anywhere was executed at every running replica, acknowledged writes
// included.
func (s *Sim) checkLiveness() []string {
	var out []string
	bound := s.cfg.Check.Liveness
	if s.record {
		pending := 0
		for i, o := range s.hist {
			c := s.clients[o.Client-1]
			if !c.alive {
				continue
			}
			from := max(time.Duration(o.Call), s.faultsStop)
			switch {
			case o.Return < 0:
				pending++
				if pending <= 10 {
					out = append(out, fmt.Sprintf("client %d's %s %s (issued at %v at %s) was never answered",
						o.Client, o.Op, keyString(s.histKeys[i]), time.Duration(o.Call), s.ids[s.histHome[i]]))
				}
			case time.Duration(o.Return)-from > bound:
				out = append(out, fmt.Sprintf("client %d's %s %s was answered %v after the faults stopped or it was issued (bound %v)",
					o.Client, o.Op, keyString(s.histKeys[i]), time.Duration(o.Return)-from, bound))
			}
		}
		if pending > 10 {
			out = append(out, fmt.Sprintf("... %d commands of live clients never answered in all", pending))
		}
	} else {
		for _, c := range s.clients {
			if c.alive && c.busy {
				out = append(out, fmt.Sprintf("client %d's command %d was never answered", c.id, c.seq))
			}
		}
	}
	if s.cfg.Check.Unreplicated {
		return out
	}
	var up []*replica
	for _, r := range s.replicas {
		if r.up {
			up = append(up, r)
		}
	}
	if len(up) == 0 {
		return out
	}
	if !up[0].log.keep {
		for _, r := range up[1:] {
			if r.log.count != up[0].log.count || r.log.sum != up[0].log.sum {
				out = append(out, fmt.Sprintf("%s executed %d commands but %s executed %d (or different ones)",
					r.id, r.log.count, up[0].id, up[0].log.count))
			}
		}
		return out
	}
	// The union of what running replicas executed must be executed by each.
	// One presized map from command to its place in union and a bit per
	// running replica (in seen, words per command): a map per replica
	// cost more than the rest of the run's checks together.
	longest := 0
	for _, r := range up {
		longest = max(longest, len(r.log.Commands))
	}
	words := (len(up) + 63) / 64
	at := make(map[paxi.CommandKey]int32, longest)
	union := make([]paxi.Command, 0, longest)
	seen := make([]uint64, 0, longest*words)
	for i, r := range up {
		for _, c := range r.log.Commands {
			k := c.Ident()
			j, ok := at[k]
			if !ok {
				j = int32(len(union))
				at[k] = j
				union = append(union, c)
				seen = append(seen, make([]uint64, words)...)
			}
			union[j] = c // the last replica's, as a map of commands kept
			seen[int(j)*words+i/64] |= 1 << uint(i%64)
		}
	}
	if s.record {
		for i, o := range s.hist {
			if o.Return >= 0 && o.Op != "get" {
				if _, ok := at[s.histKeys[i]]; !ok {
					out = append(out, fmt.Sprintf("acknowledged %s %s was executed by no running replica", o.Op, keyString(s.histKeys[i])))
				}
			}
		}
	}
	order := make([]int32, len(union))
	for j := range order {
		order[j] = int32(j)
	}
	sort.Slice(order, func(i, j int) bool {
		a, b := union[order[i]], union[order[j]]
		return a.ClientID < b.ClientID || (a.ClientID == b.ClientID && a.CommandID < b.CommandID)
	})
	for i, r := range up {
		missing := 0
		var first paxi.Command
		for _, j := range order {
			if seen[int(j)*words+i/64]&(1<<uint(i%64)) == 0 {
				if missing == 0 {
					first = union[j]
				}
				missing++
			}
		}
		if missing > 0 {
			out = append(out, fmt.Sprintf("%s has not executed %d commands that other replicas executed, e.g. %v", r.id, missing, first))
		}
	}
	return out
}

// Check verifies the run so far (normally after Settle) and summarizes it.
func (s *Sim) Check() *Result {
	res := s.result()
	if s.err != nil {
		res.Err = s.err
	}
	if !s.cfg.Check.NoExecution {
		res.Execution = s.checkExecution()
		res.ExecutionChecked = true
	}
	if !s.cfg.Check.NoLiveness {
		res.Liveness = s.checkLiveness()
		res.LivenessChecked = true
	}
	if s.record {
		lr := checker.CheckLinearizable(s.hist, checker.Options{Timeout: s.cfg.Check.LinearizabilityTimeout})
		res.Linearizability = &lr
	}
	return res
}
