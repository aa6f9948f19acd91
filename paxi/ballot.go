package paxi

import "fmt"

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

// Next returns the smallest ballot owned by id that is greater than b.
func (b Ballot) Next(id ID) Ballot { return NewBallot(b.N()+1, id) }

func (b Ballot) String() string {
	if b == 0 {
		return "0"
	}
	return fmt.Sprintf("%d.%s", b.N(), b.ID())
}
