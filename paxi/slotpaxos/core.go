package slotpaxos

import (
	"fmt"

	"github.com/agora-consensus/agora/paxi"
)

// Core is what every slot-Paxos replica builds from its Env before
// anything protocol-specific: its place among the peers, the outbox, the
// majority, ballot validation, the slot log and the retransmission timer
// of proposals that need a majority's answers.
type Core[E any] struct {
	Self    int
	Maj     int
	Outbox  paxi.Outbox
	Ballots paxi.Ballots
	Log     Log[E]
	Retrans Retransmit
}

// NewCore builds the Core of protocol name's replica env.ID; progressTicks
// and retryTicks are its params' (see NewLog and NewRetransmit), slot
// finds the Slot in an entry.
func NewCore[E any](name string, env paxi.Env, progressTicks, retryTicks int, slot func(*E) *Slot) (Core[E], error) {
	self, err := Self(env)
	if err != nil {
		return Core[E]{}, fmt.Errorf("%s: %w", name, err)
	}
	n, maj := len(env.Peers), paxi.Majority(len(env.Peers))
	return Core[E]{
		Self:    self,
		Maj:     maj,
		Outbox:  paxi.NewOutbox(env.ID, env.Peers),
		Ballots: paxi.NewBallots(env.Peers),
		Log:     NewLog(self, n, progressTicks, retryTicks, slot),
		Retrans: NewRetransmit(self, n, maj-1, int64(retryTicks)),
	}, nil
}
