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
	rtt        []paxi.RTT
	self, need int
	Min, Max   int64 // bounds of the wait, in ticks
	wait       int64 // the quorum's wait, refreshed each tick
}

// MinRetransmitTicks is the shortest wait before a resend, 100 ms at the
// default 5 ms tick, as TCP keeps a floor under its timeout (200 ms in
// Linux): a LAN round trip is far below a tick, and a replica at
// saturation answers tens of milliseconds late. Without the floor, the
// round trips measured while idle made a loaded Mencius resend whole
// batches it had only queued (half its throughput, on real processes).
const MinRetransmitTicks = 20

// NewRetransmit times the proposals of replica self of n, which need need
// answers besides its own; max is the longest wait.
func NewRetransmit(self, n, need int, max int64) Retransmit {
	t := Retransmit{rtt: make([]paxi.RTT, n), self: self, need: need, Min: min(MinRetransmitTicks, max), Max: max}
	t.Tick()
	return t
}

// RTO is the retransmission timeout of peer p alone, in [Min, Max].
func (t *Retransmit) RTO(p int) int64 { return t.rtt[p].RTO(t.Min, t.Max) }

// Tick refreshes the wait from the latest samples.
func (t *Retransmit) Tick() { t.wait = paxi.QuorumRTO(t.rtt, t.self, t.need, t.Min, t.Max) }

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
		t.rtt[p].Sample(now - pr.Sent)
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
