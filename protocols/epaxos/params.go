package epaxos

import (
	"fmt"

	"github.com/agora-consensus/agora/paxi"
)

// Params are the EPaxos knobs, read from the "params" section of
// config.json with paxi.DecodeParams, which rejects unknown fields. Tick
// counts assume the default 5 ms tick.
type Params struct {
	// FastQuorum is "optimized" (F + floor((F+1)/2) replicas, the default)
	// or "basic" (2F replicas).
	FastQuorum string `json:"fast_quorum"`
	// Thrifty sends PreAccept and Accept only to as many peers as the
	// quorum needs, the nearest ones (paxi.Env.Nearest), falling back to
	// everyone after ThriftyFallbackTicks.
	Thrifty bool `json:"thrifty"`
	// MaxBatch caps the number of commands one instance carries.
	MaxBatch int `json:"max_batch"`
	// ReplyAtCommit acknowledges writes when their instance commits instead
	// of after it executes. Reads are always answered after execution.
	ReplyAtCommit bool `json:"reply_at_commit"`
	// RetryTicks is how long a leader waits before resending PreAccept or
	// Accept to peers that have not answered, and how often a replica
	// behind asks for the Commits it lacks.
	RetryTicks int `json:"retry_ticks"`
	// ProgressTicks is how often replicas exchange their committed
	// prefixes (Progress), from which lost Commits are resent and
	// instances every replica committed are forgotten. Every instance not
	// yet forgotten is in a snapshot's checkpoint, so this bounds how much
	// of the last moments a snapshot carries. It was the retry period
	// (500 ms) until 3 December 2026, when frequent snapshots at
	// saturation cost about three times as much throughput as at 100 ms
	// (docs/SNAPSHOTS.md, "The Progress period apart from the retry
	// period").
	ProgressTicks int `json:"progress_ticks"`
	// ThriftyFallbackTicks is how long a thrifty leader waits for its chosen
	// quorum before sending to every replica.
	ThriftyFallbackTicks int `json:"thrifty_fallback_ticks"`
	// MaxInflight caps the own instances that are started but not yet
	// executed here; proposals wait in the queue (and so join larger
	// batches) while the cap is reached. It bounds how many instances of
	// each row a strongly connected component can hold, so a stream of
	// conflicting commands cannot grow components, and execution delay,
	// without bound. 0 means no cap.
	MaxInflight int `json:"max_inflight"`
	// ResendLimit caps the Commits a leader resends to one peer per retry
	// round, so a peer that was away for long catches up in bounded bursts.
	ResendLimit int `json:"resend_limit"`
}

// DefaultParams are the parameters used for every field config.json omits.
// With a 5 ms tick a leader falls back to all replicas after 300 ms and
// retries every 500 ms: longer than a wide-area round trip, so retries stay
// rare when nothing is lost.
func DefaultParams() Params {
	return Params{
		FastQuorum:           "optimized",
		Thrifty:              true,
		MaxBatch:             1000,
		ReplyAtCommit:        false,
		RetryTicks:           100,
		ProgressTicks:        20,
		ThriftyFallbackTicks: 60,
		ResendLimit:          256,
		MaxInflight:          256,
	}
}

// validate reports the first parameter that makes no sense.
func (p Params) validate() error {
	switch p.FastQuorum {
	case "optimized", "basic":
	default:
		return fmt.Errorf("epaxos: fast_quorum %q: want \"optimized\" or \"basic\"", p.FastQuorum)
	}
	if p.MaxInflight < 0 {
		return fmt.Errorf("epaxos: max_inflight %d: must be 0 (no cap) or more", p.MaxInflight)
	}
	return paxi.AtLeastOne("epaxos", paxi.Param{Name: "max_batch", Value: p.MaxBatch}, paxi.Param{Name: "retry_ticks", Value: p.RetryTicks},
		paxi.Param{Name: "progress_ticks", Value: p.ProgressTicks}, paxi.Param{Name: "thrifty_fallback_ticks", Value: p.ThriftyFallbackTicks},
		paxi.Param{Name: "resend_limit", Value: p.ResendLimit})
}

// quorums holds the reply counts the leader waits for, not counting itself.
type quorums struct {
	fast int // PreAcceptReplies for a fast-path decision: fast quorum - 1
	slow int // AcceptReplies (or PreAcceptReplies for the slow path): majority - 1
	// needCommittedDeps is true when the fast quorum is smaller than 2F, the
	// case in which the technical report's seq corner case arises (see
	// decideFastPath).
	needCommittedDeps bool
}

func newQuorums(n int, p Params) quorums {
	optimized := p.FastQuorum == "optimized"
	fq := paxi.FastQuorumSize(n, optimized)
	f := (n - 1) / 2
	q := quorums{fast: max(fq-1, 0), slow: paxi.Majority(n) - 1}
	q.needCommittedDeps = fq < 2*f
	return q
}
