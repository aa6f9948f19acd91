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
