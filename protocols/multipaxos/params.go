package multipaxos

import (
	"fmt"

	"github.com/agora-consensus/agora/paxi"
)

// Params are the Multi-Paxos knobs, read from the "params" section of
// config.json with paxi.DecodeParams, which rejects unknown fields. Tick
// counts assume the default 5 ms tick.
type Params struct {
	// MaxBatch caps the commands one slot carries.
	MaxBatch int `json:"max_batch"`
	// HeartbeatTicks is how often the leader tells every replica its commit
	// point when nothing else does (it also tells them whenever the point
	// moves).
	HeartbeatTicks int `json:"heartbeat_ticks"`
	// ElectionTicks is how long a replica goes without hearing from a
	// leader before it runs for leader itself; each replica adds a random
	// share of up to another ElectionTicks, so that two rarely run at once.
	ElectionTicks int `json:"election_ticks"`
	// RetryTicks is how long before the leader resends an unanswered
	// Accept, a replica forwards again a command it has not seen executed,
	// and a lagging replica asks again for committed slots.
	RetryTicks int `json:"retry_ticks"`
	// ResendLimit caps the slots resent to one peer per retry round and the
	// committed slots sent in one catch-up reply.
	ResendLimit int `json:"resend_limit"`
	// ProgressTicks is how often a replica whose executed or commit point
	// moved reports them to every peer (paxi.SlotProgress), so that every
	// replica forgets what all have executed; an idle one reports every
	// RetryTicks.
	ProgressTicks int `json:"progress_ticks"`
}

// DefaultParams are used for every field config.json omits. With a 5 ms
// tick the leader's heartbeat is 20 ms apart, a follower waits 300-600 ms
// before it runs for leader (more than a wide-area round trip plus a
// heartbeat gap), and retries come after 500 ms.
func DefaultParams() Params {
	return Params{MaxBatch: 1000, HeartbeatTicks: 4, ElectionTicks: 60, RetryTicks: 100, ResendLimit: 256, ProgressTicks: 20}
}

func (p Params) validate() error {
	if err := paxi.AtLeastOne(Name, paxi.Param{Name: "max_batch", Value: p.MaxBatch}, paxi.Param{Name: "heartbeat_ticks", Value: p.HeartbeatTicks},
		paxi.Param{Name: "election_ticks", Value: p.ElectionTicks}, paxi.Param{Name: "retry_ticks", Value: p.RetryTicks},
		paxi.Param{Name: "resend_limit", Value: p.ResendLimit}, paxi.Param{Name: "progress_ticks", Value: p.ProgressTicks}); err != nil {
		return err
	}
	if p.HeartbeatTicks >= p.ElectionTicks {
		return fmt.Errorf("%s: params.heartbeat_ticks (%d) must be below params.election_ticks (%d)", Name, p.HeartbeatTicks, p.ElectionTicks)
	}
	return nil
}

// decodeParams reads env.Params over the defaults.
func decodeParams(env paxi.Env) (Params, error) {
	p := DefaultParams()
	if err := paxi.DecodeParams(env.Params, &p); err != nil {
		return p, fmt.Errorf("%s: %w", Name, err)
	}
	return p, p.validate()
}
