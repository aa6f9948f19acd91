package epaxos

import (
	"slices"

	"github.com/agora-consensus/agora/paxi"
)

// Batching has no waiting gate. Proposals queue until the host takes Ready,
// which it does at the end of every batch of events it fed the protocol;
// everything queued by then goes into one instance (several if there are
// more than max_batch commands or paxi.MessageBudget bytes, since its
// PreAccept carries them all), unless max_inflight own instances are
// already waiting to execute. Under light load an instance carries the
// one command that arrived, with no added latency; under heavy load the host
// feeds many requests per batch and instances grow with it. The original
// implementation waited up to 5 ms to fill a batch, which put a 5 ms floor
// under every commit.

// flushProposals starts instances for the queued proposals, as many as
// max_inflight allows; the rest wait for an own instance to execute.
func (r *Replica) flushProposals() {
	for len(r.queue) > 0 {
		if r.params.MaxInflight > 0 && r.ownUnexecuted >= int64(r.params.MaxInflight) {
			r.stats.throttled++
			return
		}
		// The instance keeps its batch, so the batch is a copy of exactly
		// its size, and the queue's array is kept for the next proposals:
		// handing the array over made the queue regrow from nothing, by
		// doubling, on every batch.
		k := paxi.CutBatch(r.queue, r.params.MaxBatch)
		cmds := slices.Clone(r.queue[:k])
		n := copy(r.queue, r.queue[k:])
		clear(r.queue[n:])
		r.queue = r.queue[:n]
		r.startInstance(cmds)
	}
}
