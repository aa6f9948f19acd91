package slotpaxos

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/agora-consensus/agora/paxi"
)

// Window is how far past its commit point a replica takes slot numbers
// from a peer. Slots are held in one array, so a message naming slot 1<<40
// would otherwise make the replica allocate every slot below it; a replica
// further behind than this catches up first, a window at a time.
const Window = 1 << 16

// TooFar reports whether slot s is negative or out of the window.
func (l *Log[E]) TooFar(s int64) bool { return s < 0 || s >= l.Commit+Window }

// BallotLead bounds how far above the highest ballot number it has seen a
// replica takes a new one. Ballot numbers grow by one per election or
// revocation; a number near the 32-bit limit can only come from a corrupt
// message, and taking it would leave no number to campaign with.
const BallotLead = 1 << 20

// MaxBallotN is the highest ballot number a replica that has seen n takes.
func MaxBallotN(n uint32) uint32 { return min(n, math.MaxUint32-BallotLead) + BallotLead - 1 }

// MaxBackoff caps the doublings of a wait that grows after each attempt
// overtaken by another (an election, a revocation): 2^5 times the
// configured wait.
const MaxBackoff = 5

// Acks is a set of replicas, by index in the peer list (at most 64).
type Acks uint64

// Bit is the set {p}.
func Bit(p int) Acks { return 1 << uint(p) }

// Has reports whether p is in the set.
func (a Acks) Has(p int) bool { return a&Bit(p) != 0 }

// Count is the number of replicas in the set.
func (a Acks) Count() int { return bits.OnesCount64(uint64(a)) }

// Self finds env.ID among env.Peers, which Acks bounds to 64 replicas.
func Self(env paxi.Env) (int, error) {
	if len(env.Peers) > 64 {
		return -1, fmt.Errorf("at most 64 replicas, got %d", len(env.Peers))
	}
	self := paxi.IndexOf(env.Peers, env.ID)
	if self < 0 {
		return -1, fmt.Errorf("%s is not among the peers %v", env.ID, env.Peers)
	}
	return self, nil
}
