package sim

import (
	"math/rand"
	"time"

	"github.com/agora-consensus/agora/paxi"
)

// drawStale draws the "stale" shape from t on: a request held across two
// elections, whose reply then reaches a leader that was deposed meanwhile
// without knowing it. Random loss, delay and partitions almost never line
// these up; a stale reply acted on by a deposed leader is the classic way
// a consensus protocol loses safety. With X, Y and a minority side
// {Y, ...} drawn at random (X likely the leader, at some point):
//
//  1. loss on X -> Y, so that Y falls behind X and asks it to catch up;
//     meanwhile every message from Y to X is held (until step 4);
//  2. X and Y are cut apart: if X led, Y stops hearing it and Y's side
//     elects Y, while X still reaches the others;
//  3. the cut becomes a partition of Y's minority side from X's majority
//     side, which elects a new leader, except that between X and Y only
//     what is sent from now on is lost, so the held requests still arrive;
//  4. the hold ends and X -> Y opens: Y's old requests reach X, and X's
//     answers reach Y, still leading its minority;
//  5. everything heals.
//
// It appends the actions and returns when the shape ends (0 if it drew
// none); the caller keeps other partitions and link faults off till then.
func (o RandomFaults) drawStale(rng *rand.Rand, ids, candidates []paxi.ID, t time.Duration, at func(time.Duration, Action)) time.Duration {
	n := len(ids)
	minority := (n - 1) / 2 // Y's side: Y and minority-1 others
	if len(candidates) < minority+1 || minority < 1 {
		return 0
	}
	span := func(lo, hi time.Duration) time.Duration { return lo + time.Duration(rng.Int63n(int64(hi-lo))) }
	pick := append([]paxi.ID(nil), candidates...)
	rng.Shuffle(len(pick), func(i, j int) { pick[i], pick[j] = pick[j], pick[i] })
	x, side := pick[0], pick[1:1+minority]
	y := side[0]
	var other []paxi.ID // X's side, X excluded
	for _, id := range ids {
		if id != x && paxi.IndexOf(side, id) < 0 {
			other = append(other, id)
		}
	}
	t1 := t + span(50*time.Millisecond, 300*time.Millisecond)
	// Long enough for Y to notice X is gone and win an election (one to
	// two election timeouts of the protocols here), short enough that X's
	// side has not elected again before the partition.
	t2 := t1 + span(350*time.Millisecond, 900*time.Millisecond)
	t4 := t2 + span(500*time.Millisecond, 3*time.Second)
	t3 := t2 + span(200*time.Millisecond, t4-t2)
	if t4 > o.Stop {
		return 0
	}
	// Every type: what Y sends X before the cut answers X's leadership,
	// which X has lost by the time it reads it, and asks X for what Y
	// missed.
	hold := &HoldRule{From: y, To: x, For: paxi.Duration(t3 - t)}
	at(t, Action{Links: &LinkRule{From: x, To: y, LinkFaults: LinkFaults{Drop: 0.5 + 0.45*rng.Float64()}}})
	at(t, Action{Hold: hold})
	at(t1, Action{Links: &LinkRule{}})
	at(t1, Action{Cut: &CutRule{Node: x, Peers: []paxi.ID{y}}})
	at(t2, Action{Heal: true})
	for _, m := range side {
		peers := other
		if m != y {
			peers = append(peers[:len(peers):len(peers)], x)
		}
		if len(peers) > 0 {
			at(t2, Action{Cut: &CutRule{Node: m, Peers: peers}})
		}
	}
	// X and Y lose what they send each other from now on, but not the
	// requests held since step 1: loss is drawn when a message is sent, a
	// cut when it arrives. X -> Y opens again when the hold ends.
	at(t2, Action{Links: &LinkRule{From: y, To: x, LinkFaults: LinkFaults{Drop: 1}}})
	at(t2, Action{Links: &LinkRule{From: x, To: y, LinkFaults: LinkFaults{Drop: 1}}})
	at(t3, Action{Links: &LinkRule{From: x, To: y}})
	at(t4, Action{Links: &LinkRule{}})
	at(t4, Action{Heal: true})
	return t4
}
