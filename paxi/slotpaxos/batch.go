package slotpaxos

import (
	"slices"

	"github.com/agora-consensus/agora/paxi"
)

// Batches cuts queue into the batches a proposer puts in its next slots,
// in order: at most maxBatch commands and paxi.MessageBudget bytes each
// (one Accept carries a whole batch). A command in assigned (proposed
// already: forwarded again, say) is left out, and every other one is
// added to it with mark; propose gets each batch. A batch is allocated at
// its final size: grown by append it was a fifth of a replica's CPU
// (copying) at saturation.
func Batches[T any](queue []paxi.Command, maxBatch int, assigned *paxi.Waiting[T], mark T, propose func([]paxi.Command)) {
	newBatch := func(left int) []paxi.Command { return make([]paxi.Command, 0, min(left, maxBatch)) }
	batch := newBatch(len(queue))
	budget := paxi.NewBudget(maxBatch)
	for i, c := range queue {
		if !assigned.AddNew(c.Ident(), mark) {
			continue
		}
		if !budget.Take(paxi.CommandBytes(c)) {
			propose(slices.Clip(batch))
			batch = newBatch(len(queue) - i)
			budget.Reset()
			budget.Take(paxi.CommandBytes(c))
		}
		batch = append(batch, c)
	}
	if len(batch) > 0 {
		propose(slices.Clip(batch))
	}
}
