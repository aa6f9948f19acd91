package epaxos

import (
	"fmt"

	"github.com/agora-consensus/agora/paxi"
)

// apply is called by the executor for each instance in execution order; it
// hands the batch's commands to the state machine through Ready.Execute.
// The host answers clients waiting at this replica from the results.
// Commands collect in execBuf rather than through Outbox.Execute, so the
// slice can be sized from the previous Ready instead of growing one command
// at a time; Ready hands it over (the outbox's own Execute stays unused).
func (r *Replica) apply(row int32, inst int64) {
	in := r.rows.get(row, inst)
	if in == nil || in.status != Committed {
		panic(fmt.Sprintf("epaxos: %s: executor applies (%d,%d), which is %v", r.id, row, inst, in))
	}
	in.status = Executed
	if row == r.self {
		r.ownUnexecuted--
	}
	if !in.noop {
		if r.execBuf == nil {
			r.execBuf = make([]paxi.Command, 0, max(r.execHint, len(in.cmds)))
		}
		r.execBuf = append(r.execBuf, in.cmds...)
		r.stats.executedCmds += int64(len(in.cmds))
	}
	if in.committedAt >= 0 {
		d := r.now - in.committedAt
		r.stats.execDelaySum += d
		r.stats.execDelayCount++
		r.stats.execDelayMax = max(r.stats.execDelayMax, d)
	}
}
