package slotpaxos

import "github.com/agora-consensus/agora/paxi"

// Proposal is what a proposer keeps of its own proposal in a slot.
type Proposal struct {
	Acks  Acks  // replicas that accepted it (its own vote included)
	Sent  int64 // tick it was last sent
	Tries uint8 // times it was sent again since
}

// NewProposal is a proposal sent at tick now, with self's own vote.
func NewProposal(self int, now int64) Proposal { return Proposal{Acks: Bit(self), Sent: now} }

// Retransmit times the resending of unanswered proposals by the measured
// round trip to the peers (paxi.RTT) instead of a fixed wait: a proposal
// is sent again once the quorum it needs should have answered, and each
// resend doubles the wait up to the fixed one (Max), which is also the
// wait before any round trip is known.
type Retransmit struct {
	paxi.RoundTrips       // Min and Max bound the wait, in ticks
	need            int   // answers a proposal needs besides its own
	wait            int64 // the quorum's wait, refreshed each tick
}

// MinRetransmitTicks is the shortest wait before a resend (paxi.MinRTOTicks,
// 100 ms at the default 5 ms tick).
const MinRetransmitTicks = paxi.MinRTOTicks

// NewRetransmit times the proposals of replica self of n, which need need
// answers besides its own; max is the longest wait.
func NewRetransmit(self, n, need int, max int64) Retransmit {
	t := Retransmit{RoundTrips: paxi.NewRoundTrips(self, n, MinRetransmitTicks, max), need: need}
	t.Tick()
	return t
}

// Tick refreshes the wait from the latest samples.
func (t *Retransmit) Tick() { t.wait = t.Quorum(t.need) }

// Ack records that p accepted pr at tick now and reports whether p had not
// yet. The first answer of each peer to a proposal sent once is a round
// trip sample (Karn's rule: not one sent again, whose answer may be to
// either send).
func (t *Retransmit) Ack(pr *Proposal, p int, now int64) bool {
	if pr.Acks.Has(p) {
		return false
	}
	pr.Acks |= Bit(p)
	if pr.Tries == 0 {
		t.Sample(p, now-pr.Sent)
	}
	return true
}

// Due reports whether pr has waited long enough at tick now to be sent
// again.
func (t *Retransmit) Due(pr *Proposal, now int64) bool {
	return now-pr.Sent >= min(t.wait<<min(pr.Tries, 16), t.Max)
}

// Resent notes that pr was sent again at tick now.
func (pr *Proposal) Resent(now int64) {
	pr.Sent = now
	pr.Tries = min(pr.Tries+1, 255)
}
