package paxi

import "slices"

// RTT estimates the round-trip time to one peer in ticks, from the time
// between a request and its reply, as TCP does (Jacobson and Karels; RFC
// 6298, section 2), so that a retransmission waits about one round trip
// rather than a fixed time: one lost message then costs one round trip,
// not half a second. Callers follow Karn's rule and take no sample from a
// request that was sent more than once. Values are kept in 1/1024 of a
// tick: a LAN round trip is well under one tick, and the integer updates
// must not stall far from the samples.
type RTT struct {
	srtt, rttvar int64 // 1/1024 ticks; srtt 0: no sample yet
}

const rttUnit = 1024

// Sample takes one measured round trip of ticks ticks.
func (e *RTT) Sample(ticks int64) {
	r := max(ticks, 0)*rttUnit + rttUnit/2 // the reply came during that tick: its middle
	if e.srtt == 0 {
		e.srtt, e.rttvar = r, r/2
		return
	}
	d := e.srtt - r
	if d < 0 {
		d = -d
	}
	e.rttvar += (d - e.rttvar) / 4
	e.srtt += (r - e.srtt) / 8
}

// RTO is the retransmission timeout in ticks, within [lo, hi]; hi before
// any sample. It is SRTT + 4 RTTVAR as in TCP, but at least a quarter
// above SRTT and one tick more (RFC 6298's clock granularity G): a
// simulated or quiet network has almost no variance, and a reply that
// waits one tick longer than the rest (a batch, a busy replica) must not
// be taken for a loss.
func (e *RTT) RTO(lo, hi int64) int64 {
	if e.srtt == 0 {
		return hi
	}
	rto := e.srtt + max(4*e.rttvar, e.srtt/4+rttUnit)
	return min(max((rto+rttUnit-1)/rttUnit, lo), hi)
}

// QuorumRTO is how long a request sent to every peer waits for need
// replies: the need-th smallest RTO among the peers other than self.
func QuorumRTO(rtts []RTT, self, need int, lo, hi int64) int64 {
	if need < 1 {
		return lo
	}
	var buf [64]int64
	ts := buf[:0]
	for p := range rtts {
		if p != self {
			ts = append(ts, rtts[p].RTO(lo, hi))
		}
	}
	if need > len(ts) {
		return hi
	}
	slices.Sort(ts)
	return ts[need-1]
}

// MinRTOTicks is the shortest retransmission timeout a protocol should
// use, 100 ms at the default 5 ms tick, as TCP keeps a floor under its
// timeout (200 ms in Linux): a LAN round trip is far below a tick, and a
// replica at saturation answers tens of milliseconds late. Without the
// floor, the round trips measured while idle made a loaded Mencius resend
// whole batches it had only queued (half its throughput, on real
// processes).
const MinRTOTicks = 20

// RoundTrips is one replica's round-trip estimate to every peer and the
// timeouts built from them, within [Min, Max] ticks: the part of a
// retransmission timer that does not depend on the protocol (slotpaxos's
// Retransmit and EPaxos's rounds both use it).
type RoundTrips struct {
	rtt      []RTT
	self     int
	Min, Max int64 // bounds of every timeout, in ticks; Max before any sample
}

// NewRoundTrips estimates the round trips of replica self of n.
func NewRoundTrips(self, n int, lo, hi int64) RoundTrips {
	return RoundTrips{rtt: make([]RTT, n), self: self, Min: min(lo, hi), Max: hi}
}

// Sample takes one round trip of ticks ticks to peer p. Callers follow
// Karn's rule: no sample from a request sent more than once.
func (t *RoundTrips) Sample(p int, ticks int64) { t.rtt[p].Sample(ticks) }

// RTO is the retransmission timeout of peer p alone, in [Min, Max].
func (t *RoundTrips) RTO(p int) int64 { return t.rtt[p].RTO(t.Min, t.Max) }

// Quorum is how long a request sent to every peer waits for need replies
// (QuorumRTO), in [Min, Max].
func (t *RoundTrips) Quorum(need int) int64 {
	return QuorumRTO(t.rtt, t.self, need, t.Min, t.Max)
}
