package epaxos

import "github.com/agora-consensus/agora/paxi"

// PeerDown (paxi.PeerWatcher) acts at once on the host's report that its
// connection to peer id dropped: with real processes that comes 1-3 ms
// after a SIGKILL, where the timers below would wait one to one and a half
// seconds (the recovery delay of docs/RECOVERY.md) while every command
// interfering with the dead replica's in-flight instances waits on them.
//
//   - The peer is suspected: new thrifty rounds avoid it, and a round of
//     this replica's own that asked it and cannot reach its fast quorum
//     without it takes the slow path now if a majority answered
//     (fastOutOfReach), or falls back to the peers it did not ask.
//   - It counts as not heard from, so its instances are no longer its job
//     (othersJob) and it does not count in the recovery rank.
//   - The first live replica after it in ring order (rank 1) recovers the
//     instances of its row it waits on without the recovery delay, and the
//     next scans run at every tick while the hint lasts; the others keep
//     their delays, so that one recoverer goes first without a duel.
//
// Any message from the peer ends the hint (Step). A wrong hint (the
// connection dropped but the peer lives) costs a recovery round the peer
// may race; recovery is safe at any moment (docs/RECOVERY.md), so a hint
// changes only when it runs, never what it decides.
func (r *Replica) PeerDown(id paxi.ID) {
	p := paxi.IndexOf(r.peers, id)
	if p < 0 || p == int(r.self) {
		return
	}
	r.suspect |= bit(p)
	r.rec.down |= bit(p)
	r.rec.heard[p] = -1 << 62
	r.rec.nextScan = r.now
	for _, in := range r.inflight {
		if l := in.lead; l != nil && !l.recovery && l.sentTo&bit(p) != 0 {
			r.peerLostInRound(in, p)
		}
	}
}

// peerLostInRound moves on an own round that asked the lost peer p and is
// still waiting for it.
func (r *Replica) peerLostInRound(in *instance, p int) {
	l := in.lead
	switch l.phase {
	case PreAccepted:
		if r.setOf(l.replied.Voters())&bit(p) != 0 {
			return
		}
		if l.replied.Count() >= r.q.slow && r.fastOutOfReach(l) {
			r.stats.slowPaths++
			r.stats.slowBySuspicion++
			r.startAccept(in, l.seq, l.deps)
			return
		}
	case Accepted:
		if r.setOf(l.accepted.Voters())&bit(p) != 0 {
			return
		}
	default:
		return
	}
	if r.params.Thrifty && !l.fellBack {
		l.timer.Reset(1) // the fallback to every peer, at the next tick
	}
}

// hintedDown reports whether the host reported q's connection lost and
// nothing was heard from q since.
func (r *Replica) hintedDown(q int32) bool { return r.rec.down&bit(int(q)) != 0 }
