package evaluation

import (
	"slices"
	"time"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/sim"
)

// The optimum of a protocol at a site is the latency a client there sees
// when nothing queues: every message takes its link's mean delay, and a
// replica acts the moment a message arrives. Zones are 1-based, as in
// sim.Matrix; every replica sits in its own zone, and a site's clients sit
// next to its replica, one local round trip away (the matrix diagonal).

// RTT is the mean round-trip time between zones a and b: the mean one-way
// delay each way.
func RTT(m sim.Matrix, a, b int) time.Duration {
	return m.Between(a, b).Avg + m.Between(b, a).Avg
}

// Local is the round trip between a site's clients and its replica.
func Local(m sim.Matrix, s int) time.Duration { return RTT(m, s, s) }

// peerRTTs lists the round trips from s to every other zone, nearest first.
func peerRTTs(m sim.Matrix, s int) []time.Duration {
	var out []time.Duration
	for z := 1; z <= m.Zones(); z++ {
		if z != s {
			out = append(out, RTT(m, s, z))
		}
	}
	slices.Sort(out)
	return out
}

// NearestQuorum is how long replica s waits for q-1 replies from its
// peers, its own vote making the q-th: the round trip to the (q-1)-th
// nearest peer (0 when q <= 1).
func NearestQuorum(m sim.Matrix, s, q int) time.Duration {
	if q <= 1 {
		return 0
	}
	return peerRTTs(m, s)[q-2]
}

// EPaxosFast is EPaxos's fast-path commit latency at site s with no
// interference: the command leader sends PreAccept to the nearest
// fast-quorum members (thrifty), commits when the farthest of them
// answers, and executes at once (no dependencies), answering its client.
// optimized selects the F + floor((F+1)/2) fast quorum, else 2F.
func EPaxosFast(m sim.Matrix, s int, optimized bool) time.Duration {
	fq := paxi.FastQuorumSize(m.Zones(), optimized)
	return Local(m, s) + NearestQuorum(m, s, fq)
}

// MultiPaxos is Multi-Paxos's commit latency at site s with the leader at
// zone leader: the local replica forwards the command to the leader (half
// the s-leader round trip), the leader sends Accept to every replica and
// has a majority when the nearest majority-1 peers answer (its own vote
// counts), then tells every replica the new commit point, which reaches s
// after the other half; s executes and answers. At the leader's own site
// the forwarding legs vanish.
func MultiPaxos(m sim.Matrix, s, leader int) time.Duration {
	d := Local(m, s) + NearestQuorum(m, leader, paxi.Majority(m.Zones()))
	if s != leader {
		d += RTT(m, s, leader)
	}
	return d
}

// Mencius is Mencius's commit latency at site s when only s proposes: its
// command takes the next slot of s, and s executes it once every slot
// below is decided. The slots of every other replica r below it are
// skipped by r when r sees the proposal, and the Skip is back at s one
// round trip later; the command itself is chosen when the nearest majority
// answers. So s waits on every replica: the round trip to the farthest.
func Mencius(m sim.Matrix, s int) time.Duration {
	rtts := peerRTTs(m, s)
	d := NearestQuorum(m, s, paxi.Majority(m.Zones()))
	if len(rtts) > 0 {
		d = max(d, rtts[len(rtts)-1])
	}
	return Local(m, s) + d
}

// MenciusLoaded bounds Mencius's commit latency at s when every replica
// proposes all the time: a replica r that has commands queued when the
// proposal of s reaches it proposes them in its own slots below, and s
// then waits for r's majority round and r's Commit, up to RTT(s,r) plus
// r's nearest-majority round trip. How often r has commands queued at
// that moment depends on the load, so the median lies between Mencius and
// this bound.
func MenciusLoaded(m sim.Matrix, s int) time.Duration {
	d := Mencius(m, s) - Local(m, s)
	for r := 1; r <= m.Zones(); r++ {
		if r != s {
			d = max(d, RTT(m, s, r)+NearestQuorum(m, r, paxi.Majority(m.Zones())))
		}
	}
	return Local(m, s) + d
}
