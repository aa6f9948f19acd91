package paxi

import (
	"fmt"
	"math"
	"slices"
)

// Ballot is a (number, replica) pair with a total order: by number, then by
// replica id. It packs into one integer (number<<16 | zone<<8 | node) so it
// is cheap to compare and to encode.
type Ballot uint64

// NewBallot makes the ballot (n, id).
func NewBallot(n uint32, id ID) Ballot {
	return Ballot(uint64(n)<<16 | uint64(id.Zone()&0xff)<<8 | uint64(id.Node()&0xff))
}

// N is the ballot number.
func (b Ballot) N() uint32 { return uint32(b >> 16) }

// ID is the replica that owns the ballot.
func (b Ballot) ID() ID {
	return ID(fmt.Sprintf("%d.%d", (b>>8)&0xff, b&0xff))
}

// OwnedBy reports whether id owns b, as b.ID() == id does but without
// building a string: followers ask it of every Accept.
func (b Ballot) OwnedBy(id ID) bool { return uint16(b) == uint16(NewBallot(0, id)) }

// Next returns the smallest ballot owned by id that is greater than b.
func (b Ballot) Next(id ID) Ballot { return NewBallot(b.N()+1, id) }

func (b Ballot) String() string {
	if b == 0 {
		return "0"
	}
	return fmt.Sprintf("%d.%s", b.N(), b.ID())
}

// Ballots tells the ballots a cluster's replicas can make from any other
// uint64 a message may carry.
type Ballots struct {
	owners []uint16 // the replica part of each peer's ballots
}

// NewBallots knows the ballots of peers.
func NewBallots(peers []ID) Ballots {
	var b Ballots
	for _, id := range peers {
		b.owners = append(b.owners, uint16(NewBallot(0, id)))
	}
	return b
}

// Valid reports whether b is a ballot one of the peers could have made and
// outbid: its number fits 32 bits and is below the largest (which has no
// successor), and its owner is a peer. A protocol that took a larger or a
// stranger's ballot from one corrupt message could never elect again.
func (v Ballots) Valid(b Ballot) bool {
	return b>>48 == 0 && b.N() < math.MaxUint32 && slices.Contains(v.owners, uint16(b))
}
