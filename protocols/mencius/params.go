package mencius

import (
	"fmt"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/slotpaxos"
)

// Params are the Mencius knobs, read from the "params" section of
// config.json with paxi.DecodeParams, which rejects unknown fields. Tick
// counts assume the default 5 ms tick.
type Params struct {
	// MaxBatch caps the commands one slot carries.
	MaxBatch int `json:"max_batch"`
	// RetryTicks is how long before a proposer resends an unanswered
	// Accept, a replica whose execution is stuck asks for the slot it waits
	// on, and a command proposed here and not executed is proposed again.
	RetryTicks int `json:"retry_ticks"`
	// RevokeTicks is how long execution may wait on another replica's slot
	// before this replica revokes that replica's slots (phase 1 with a
	// higher ballot, then no-ops where nothing was accepted).
	RevokeTicks int `json:"revoke_ticks"`
	// RevokeSpan is how many of the suspect's slots one revocation covers.
	RevokeSpan int `json:"revoke_span"`
	// ResendLimit caps the Accepts resent to one peer per retry round.
	ResendLimit int `json:"resend_limit"`
	// ProgressTicks is how often a replica whose executed or commit point
	// moved reports them to every peer (paxi.SlotProgress); an idle one
	// reports every RetryTicks.
	ProgressTicks int `json:"progress_ticks"`
}

// DefaultParams are used for every field config.json omits: with a 5 ms
// tick, retries after 500 ms and revocation after 500 ms of waiting (more
// than a wide-area round trip, the longest a live owner keeps execution
// waiting on its skip), and progress reports every 100 ms while execution
// moves.
func DefaultParams() Params {
	return Params{MaxBatch: 1000, RetryTicks: 100, RevokeTicks: 100, RevokeSpan: 256, ResendLimit: 256, ProgressTicks: 20}
}

// maxRevokeSpan caps RevokeSpan: with up to 64 replicas a range spans at
// most a quarter of the slotpaxos.Window.
const maxRevokeSpan = slotpaxos.Window / 64 / 4

func decodeParams(env paxi.Env) (Params, error) {
	p := DefaultParams()
	if err := paxi.DecodeParams(env.Params, &p); err != nil {
		return p, fmt.Errorf("%s: %w", Name, err)
	}
	if err := paxi.AtLeastOne(Name, paxi.Param{Name: "max_batch", Value: p.MaxBatch}, paxi.Param{Name: "retry_ticks", Value: p.RetryTicks},
		paxi.Param{Name: "revoke_ticks", Value: p.RevokeTicks}, paxi.Param{Name: "revoke_span", Value: p.RevokeSpan},
		paxi.Param{Name: "resend_limit", Value: p.ResendLimit}, paxi.Param{Name: "progress_ticks", Value: p.ProgressTicks}); err != nil {
		return p, err
	}
	if p.RevokeSpan > maxRevokeSpan {
		// A larger range would not fit the slotpaxos.Window of slots a replica takes.
		return p, fmt.Errorf("%s: params.revoke_span must be at most %d, got %d", Name, maxRevokeSpan, p.RevokeSpan)
	}
	return p, nil
}
