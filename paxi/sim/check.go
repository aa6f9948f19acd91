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
// state machine.
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

// CheckExecutionOrder checks a set of execution logs: no log executes a
// command twice, and any two logs execute interfering commands in the same
// order. Since a log may lag behind another, per key the writes of one log
// must be a prefix of the other's, and a read executed by both must follow
// the same number of writes to its key. It returns one line per violation.
func CheckExecutionOrder(logs []*ExecLog) []string {
	var out []string
	type keyView struct {
		writes []paxi.CommandKey       // writes to the key, in order
		reads  map[paxi.CommandKey]int // read -> writes to its key before it
	}
	views := make([]map[string]*keyView, len(logs))
	for li, l := range logs {
		seen := make(map[paxi.CommandKey]int, len(l.Commands))
		kv := map[string]*keyView{}
		for pos, c := range l.Commands {
			id := c.Ident()
			if p, dup := seen[id]; dup {
				out = append(out, fmt.Sprintf("%s (incarnation %d) executed %v twice, at positions %d and %d",
					l.Replica, l.Incarnation, c, p, pos))
				continue
			}
			seen[id] = pos
			v := kv[c.Key]
			if v == nil {
				v = &keyView{reads: map[paxi.CommandKey]int{}}
				kv[c.Key] = v
			}
			if c.Op.IsWrite() {
				v.writes = append(v.writes, id)
			} else {
				v.reads[id] = len(v.writes)
			}
		}
		views[li] = kv
	}
	// Compare every log with every other on the keys both touched. Logs are
	// few (replicas times incarnations), so pairs are cheap.
	for a := 0; a < len(logs); a++ {
		for b := a + 1; b < len(logs); b++ {
			keys := make([]string, 0, len(views[a]))
			for k := range views[a] {
				if _, ok := views[b][k]; ok {
					keys = append(keys, k)
				}
			}
			sort.Strings(keys)
			for _, k := range keys {
				va, vb := views[a][k], views[b][k]
				n := min(len(va.writes), len(vb.writes))
				for i := 0; i < n; i++ {
					if va.writes[i] != vb.writes[i] {
						out = append(out, fmt.Sprintf("key %q: write number %d is %s at %s/%d but %s at %s/%d",
							k, i, keyString(va.writes[i]), logs[a].Replica, logs[a].Incarnation, keyString(vb.writes[i]), logs[b].Replica, logs[b].Incarnation))
						break
					}
				}
				var reads []paxi.CommandKey
				for id := range va.reads {
					if _, ok := vb.reads[id]; ok {
						reads = append(reads, id)
					}
				}
				sort.Slice(reads, func(i, j int) bool {
					return reads[i].ClientID < reads[j].ClientID ||
						(reads[i].ClientID == reads[j].ClientID && reads[i].CommandID < reads[j].CommandID)
				})
				for _, id := range reads {
					if x, y := va.reads[id], vb.reads[id]; x != y {
						out = append(out, fmt.Sprintf("key %q: read %s follows %d writes at %s/%d but %d at %s/%d",
							k, keyString(id), x, logs[a].Replica, logs[a].Incarnation, y, logs[b].Replica, logs[b].Incarnation))
					}
				}
			}
		}
	}
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
	sets := make([]map[paxi.CommandKey]bool, len(up))
	union := map[paxi.CommandKey]paxi.Command{}
	for i, r := range up {
		sets[i] = make(map[paxi.CommandKey]bool, len(r.log.Commands))
		for _, c := range r.log.Commands {
			sets[i][c.Ident()] = true
			union[c.Ident()] = c
		}
	}
	if s.record {
		for i, o := range s.hist {
			if o.Return >= 0 && o.Op != "get" {
				if _, ok := union[s.histKeys[i]]; !ok {
					out = append(out, fmt.Sprintf("acknowledged %s %s was executed by no running replica", o.Op, keyString(s.histKeys[i])))
				}
			}
		}
	}
	keys := make([]paxi.CommandKey, 0, len(union))
	for k := range union {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].ClientID < keys[j].ClientID || (keys[i].ClientID == keys[j].ClientID && keys[i].CommandID < keys[j].CommandID)
	})
	for i, r := range up {
		missing := 0
		var first paxi.Command
		for _, k := range keys {
			if !sets[i][k] {
				if missing == 0 {
					first = union[k]
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
		if s.cfg.Check.Unreplicated {
			for _, l := range s.logs {
				res.Execution = append(res.Execution, CheckExecutionOrder([]*ExecLog{l})...)
			}
		} else {
			res.Execution = CheckExecutionOrder(s.logs)
		}
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
