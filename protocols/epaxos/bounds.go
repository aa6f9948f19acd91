package epaxos

import "github.com/agora-consensus/agora/paxi"

// How far ahead a peer's message may reach. Instances and the executor's
// vertices live in chunks indexed by instance number (instance.go,
// executor.go), so an instance number is also an amount of memory: one
// corrupt message naming instance 1<<40 would have the replica allocate
// for every instance below it and die of it. So every instance number and
// dependency a message names is checked before anything is allocated for
// it, and a message naming one beyond what this replica could hold is
// ignored and counted (epaxos_refused_too_far_ahead_total):
//
//   - No instance number or dependency may be more than r.ahead
//     (aheadWindow) past this replica's committed prefix of its row.
//   - A message about an instance of this replica's own row must be about
//     one it started, below r.next: only it starts instances there, and
//     each is in its log before any peer hears of it (persist.go), restart
//     included. (Voting on or committing one it has not started would make
//     startInstance find the number taken, and panic.)
//
// Chunks between the last one in use and an accepted far instance stay nil
// until something touches them, so the window costs a table of chunk
// slots, not the chunks: one message makes the replica allocate at most a
// chunk of instances and one of vertices per instance it names, and a
// Commits message may name no more than resend_limit instances past the
// committed prefix (validCommits).
//
// Progress reports are not refused but read as the part of them this
// replica could use: a peer that has committed a row up to k has committed
// it up to any lower number, so min(k, highest namable) is as true as k
// (learnProgress, onProgress).
//
// A replica further than the window behind a row (back after being away
// for millions of that row's instances) ignores the live traffic of the
// row, and catches up window by window: CommitRequests start at its
// committed prefix (catchup.go), so they and their answers are always
// inside the window, and each answer moves the window on. A Commits entry
// whose dependency in another row is beyond that row's window waits until
// that row has caught up enough. That cannot go round in a circle while
// max_inflight is below the window (by default it is 256): a leader then
// starts no instance a window past one it has not executed, so of two
// instances each depending on one a window past the other, one would have
// been committed before the other's dependency existed. Catching up relies
// on the peers still holding what the replica lacks, which forgetting
// guarantees by waiting for every peer (forget.go), except for what a
// snapshot covers: a peer that lacks that is sent the snapshot
// (snapcatchup.go).

// aheadWindow is how many instances past this replica's committed prefix
// of a row a message may name: 4M. Naming one at the edge costs a table of
// 4K chunk slots (96 KiB) for the instances and one for the vertices, a
// chunk of 1024 instances (120 KiB) and one of vertices (104 KiB): a few
// hundred KiB for a PreAccept or a Commit, and at most a chunk of vertices
// more per entry for a Commits (26 MiB with the default resend_limit of
// 256). A replica that is up trails a row by the instances in flight, a
// few hundred (max_inflight), so the window refuses nothing it needs; only
// a replica that was away for millions of instances of one row is outside
// it, and it catches up all the same, while its peers, which hold every
// instance it lacks (forget.go; with snapshots on they send one instead),
// hold several hundred MiB per row by then.
const aheadWindow = 1 << 22

// highestNamable is the highest instance number of row q a peer's message
// may name (for this replica's own row, validRef also wants one it started).
func (r *Replica) highestNamable(q int32) int64 { return r.committedUpTo[q] + r.ahead }

// validRef checks the instance reference and deps of a message: a peer that
// runs a different configuration must not make us index out of range, and
// no message may make us allocate for instances beyond highestNamable.
func (r *Replica) validRef(from paxi.ID, row int32, inst int64, deps []int64) bool {
	if row < 0 || int(row) >= r.n || inst < 0 {
		r.log.Warn("ignoring message for an impossible instance", "from", from, "row", row, "inst", inst)
		return false
	}
	if inst > r.highestNamable(row) || row == r.self && inst >= r.next {
		r.refuseAhead(from, row, inst)
		return false
	}
	return deps == nil || r.validDeps(from, deps)
}

func (r *Replica) validDeps(from paxi.ID, deps []int64) bool {
	if len(deps) != r.n {
		r.log.Warn("ignoring message with deps of the wrong length", "from", from, "len", len(deps))
		return false
	}
	for q, d := range deps {
		if d < -1 {
			r.log.Warn("ignoring message with an impossible dependency", "from", from, "row", q, "dep", d)
			return false
		}
		if d > r.highestNamable(int32(q)) {
			r.refuseAhead(from, int32(q), d)
			return false
		}
	}
	return true
}

// refuseAhead counts a message ignored for naming instance inst of row,
// beyond what validRef allows. It logs at debug level only: a replica catching
// up refuses its peers' live traffic all along, and the counter shows it.
func (r *Replica) refuseAhead(from paxi.ID, row int32, inst int64) {
	r.stats.refusedAhead++
	r.log.Debug("ignoring message naming an instance too far ahead", "from", from, "row", row, "inst", inst, "committed", r.committedUpTo[row])
}

// Malformed batches. A batch is one or more commands, or an explicit no-op
// with none (docs/RECOVERY.md): a message that carries commands in any
// other shape (an empty batch that is no no-op, a no-op with commands, a
// Validate of nothing) is refused and counted
// (epaxos_refused_malformed_total), never acted on. Voting on an empty
// batch would record an instance that interferes with nothing, and a
// recovery could commit it in place of the command it stands for.

// validBatch checks the commands a message carries (when hasCmds).
func (r *Replica) validBatch(from paxi.ID, msg string, hasCmds bool, cmds []paxi.Command, noop bool) bool {
	if !hasCmds || noop == (len(cmds) == 0) {
		return true
	}
	r.stats.refusedMalformed++
	r.log.Warn("ignoring a message with a malformed batch", "from", from, "msg", msg, "cmds", len(cmds), "noop", noop)
	return false
}
