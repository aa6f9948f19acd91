package paxi

import "fmt"

// Majority is the size of a majority quorum among n replicas.
func Majority(n int) int { return n/2 + 1 }

// FastQuorumSize is the EPaxos fast-quorum size for n = 2F+1 replicas,
// counting the command leader. The optimized protocol needs
// F + floor((F+1)/2) (2 of 3, 3 of 5, 5 of 7); the basic one needs 2F. It is
// computed from F, never as n/2, which earlier code got wrong.
func FastQuorumSize(n int, optimized bool) int {
	f := (n - 1) / 2
	if optimized {
		return f + (f+1)/2
	}
	if f == 0 {
		return 1
	}
	return 2 * f
}

// Votes counts acknowledgements, each sender at most once.
type Votes struct {
	need int
	from []ID // small: linear scans beat a map and keep order fixed
}

// NewVotes returns a tracker that is satisfied after need distinct senders.
func NewVotes(need int) Votes { return Votes{need: need} }

// Add records a vote and reports whether it was new.
func (v *Votes) Add(from ID) bool {
	for _, x := range v.from {
		if x == from {
			return false
		}
	}
	v.from = append(v.from, from)
	return true
}

// Has reports whether from has voted.
func (v *Votes) Has(from ID) bool { return IndexOf(v.from, from) >= 0 }

// Count is the number of distinct voters.
func (v *Votes) Count() int { return len(v.from) }

// Reached reports whether the quorum is complete.
func (v *Votes) Reached() bool { return len(v.from) >= v.need }

// Need is the quorum size.
func (v *Votes) Need() int { return v.need }

// Voters lists the distinct voters in arrival order.
func (v *Votes) Voters() []ID { return v.from }

// Reset forgets every vote and sets a new quorum size.
func (v *Votes) Reset(need int) { v.need = need; v.from = v.from[:0] }

// Quorum is a predicate over sets of acknowledging replicas. Majority and
// the flexible zone/grid quorums below all satisfy it, so protocols that
// take a Quorum work unchanged with any of them.
type Quorum interface {
	Reached(acks []ID) bool
}

// MajorityQuorum is reached by more than half of Peers.
type MajorityQuorum struct{ Peers []ID }

func (q MajorityQuorum) Reached(acks []ID) bool {
	return countMembers(acks, q.Peers) >= Majority(len(q.Peers))
}

// ZoneQuorum (the "grid" quorums of flexible Paxos, as in Paxi) needs
// PerZone acknowledgements in each of Zones distinct zones. Phase-1 and
// phase-2 grid quorums intersect when one takes a whole row and the other a
// whole column; see GridPhase1 and GridPhase2.
type ZoneQuorum struct {
	Peers   []ID
	Zones   int // how many zones must be satisfied
	PerZone int // acknowledgements needed inside each such zone
}

func (q ZoneQuorum) Reached(acks []ID) bool {
	perZone := map[int]int{}
	for _, a := range acks {
		if IndexOf(q.Peers, a) >= 0 {
			perZone[a.Zone()]++
		}
	}
	ok := 0
	for _, c := range perZone {
		if c >= q.PerZone {
			ok++
		}
	}
	return ok >= q.Zones
}

// Zones returns the number of replicas in each zone of peers.
func Zones(peers []ID) map[int]int {
	z := map[int]int{}
	for _, p := range peers {
		z[p.Zone()]++
	}
	return z
}

// GridPhase1 and GridPhase2 are intersecting flexible quorums over a grid of
// Z zones with M replicas each: phase 1 takes one replica from every zone and
// phase 2 takes every replica of one zone, so any phase-1 quorum meets any
// phase-2 quorum. Construction fails on zones of uneven size.
func GridPhase1(peers []ID) (ZoneQuorum, error) {
	z, _, err := grid(peers)
	if err != nil {
		return ZoneQuorum{}, err
	}
	return ZoneQuorum{Peers: peers, Zones: z, PerZone: 1}, nil
}

// GridPhase2 is the phase-2 partner of GridPhase1: one whole zone.
func GridPhase2(peers []ID) (ZoneQuorum, error) {
	_, m, err := grid(peers)
	if err != nil {
		return ZoneQuorum{}, err
	}
	return ZoneQuorum{Peers: peers, Zones: 1, PerZone: m}, nil
}

func grid(peers []ID) (zones, perZone int, err error) {
	z := Zones(peers)
	for zone, c := range z {
		if perZone == 0 {
			perZone = c
		} else if c != perZone {
			return 0, 0, fmt.Errorf("grid quorum: zone %d has %d replicas, others %d", zone, c, perZone)
		}
	}
	return len(z), perZone, nil
}

func countMembers(acks, peers []ID) int {
	n := 0
	for i, a := range acks {
		if IndexOf(peers, a) < 0 || IndexOf(acks[:i], a) >= 0 {
			continue
		}
		n++
	}
	return n
}
