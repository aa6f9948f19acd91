package epaxos

import (
	"fmt"
	"slices"

	"github.com/agora-consensus/agora/paxi"
)

// apply is called by the executor for each instance in execution order; it
// hands the batch's commands to the state machine through Ready.Execute.
// The host answers clients waiting at this replica from the results.
// Commands collect in execBuf rather than through Outbox.Execute; Ready
// hands it over (the outbox's own Execute stays unused). Most Readies
// execute one instance, and then execBuf is that instance's own batch,
// clipped so that a second instance copies it instead of writing past its
// end: a batch is never modified once proposed (messages and records share
// it already), and hosts only read Ready.Execute. A Ready that executes
// more copies into one of two arrays the replica keeps, a different one
// from the previous Ready's, which the host is done with by the next call
// (paxi.Outbox.Ready); the array doubles when it is too small.
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
		switch n := len(r.execBuf) + len(in.cmds); {
		case len(r.execBuf) == 0:
			r.execBuf = slices.Clip(in.cmds)
		case n > cap(r.execBuf):
			// An array big enough is not execBuf's own (that one is
			// full): empty it of the commands of two Readies ago.
			// Its length is what the Ready that last used it filled
			// (see Ready), so clearing it costs what was used, not the
			// whole array, which after one big Ready can be far larger.
			buf := r.execArrays[r.execTurn]
			if cap(buf) >= n {
				clear(buf)
			} else {
				buf = make([]paxi.Command, 0, 2*n)
			}
			r.execBuf = append(append(buf[:0], r.execBuf...), in.cmds...)
			r.execArrays[r.execTurn] = r.execBuf
			r.execInArray = true
		default:
			r.execBuf = append(r.execBuf, in.cmds...)
		}
		r.stats.executedCmds += int64(len(in.cmds))
	}
	if in.committedAt >= 0 {
		d := r.now - in.committedAt
		r.stats.execDelaySum += d
		r.stats.execDelayCount++
		r.stats.execDelayMax = max(r.stats.execDelayMax, d)
	}
}
