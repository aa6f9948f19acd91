package epaxos

import (
	"math"
	"math/bits"
)

// Forgetting instances. Without it a replica keeps every instance it ever
// saw, commands included, and its memory grows with the length of the run.
// An instance may go once nothing can ask for it again:
//
//   - it is executed here, so the executor is done with it (the executor
//     skips every dependency at or below its row's executed prefix, which
//     is where forgotten instances are, and it frees its own vertices);
//   - every peer reported a committed prefix of its row past it (Progress,
//     catchup.go), so no peer will ask for it in a CommitRequest, and its
//     leader, having committed it, retransmits no PreAccept or Accept for
//     it. A peer reports a prefix only after persisting those commits, so
//     a restart does not take the report back.
//
// The conflict index holds instance numbers, not instances, so it may keep
// naming a forgotten instance as the latest to touch a key; a new
// instance then depends on it, which costs nothing: a forgotten dependency
// counts as committed (leaderCommittedDeps) and the executor finds it
// executed. A message about a forgotten instance can only be a late copy
// (its sender reported it committed) and is ignored.
//
// A peer that is down or cut off stops reporting, so its last report would
// hold every row's forgotten prefix back and memory would grow with the
// outage. With snapshots, a silent peer is not waited for, and a peer that
// comes back lacking what was forgotten is sent a snapshot (snapcatchup.go),
// so memory while one is down is what it is with all up; without snapshots
// memory grows until the peer is back and catches up from whoever still
// holds what it lacks. Forgetting is a prefix per row: one instance that
// cannot execute here holds back everything after it in its row.

// forgetInstances forgets, row by row, the prefix of instances that are
// executed here and committed at every peer heard from (and at every
// silent peer, until the first snapshot is saved). It runs at every progress
// round, right after the peers' reports have been taken into account.
func (r *Replica) forgetInstances() {
	// Past silent peers only from the side of a partition that holds a
	// majority: were both sides to forget past each other what they
	// executed, each would refuse the other's snapshot after the partition
	// healed (bin/sim snapshot-crash swarm, seed 1199). The minority side
	// forgets only what every peer reported, so it can always install the
	// majority's snapshot (Behind's (b) holds for it).
	silent := r.silentPeers()
	majority := r.n-1-bits.OnesCount64(silent) >= r.q.slow
	// And only past a peer every peer heard from also reports silent: two
	// live replicas cut from each other but both heard by a third would
	// otherwise each count the other silent and forget past it what the
	// third committed, and once the third is gone refuse each other's
	// snapshots for good (review of 749569a: 0 commands for 8 s, while
	// they were a majority; TestEPaxosCutPairNeverForgetsPastEachOther).
	// The third, hearing both, reports neither silent.
	//
	// Nor while a peer heard from reports this replica silent: with
	// one-way links the third may hear neither of the two while both hear
	// it, and report both silent, each to the other; each would then
	// forget past the other what the third committed before it went deaf
	// (TestEPaxosPairNeverForgetsPastEachOtherOnOneWayLinks: 0 commands in
	// 5 s). A peer that does not hear this replica cannot vouch to it that
	// another is gone. Two replicas could now forget past each other only
	// if every peer each hears said so of the other and not of itself;
	// their majorities share a peer, whose report at any one time cannot
	// say both.
	agreed := silent
	for h := range r.n {
		if h != int(r.self) && silent&bit(h) == 0 {
			agreed &= r.catchUp.peerSilent[h]
			if r.catchUp.peerSilent[h]&bit(int(r.self)) != 0 {
				agreed = 0
			}
		}
	}
	for q := range r.rows {
		row := int32(q)
		limit := r.rows.known(row)
		for p := 0; p < r.n; p++ {
			if p != int(r.self) {
				limit = min(limit, r.forgetFor(p, q, majority && agreed&bit(p) != 0))
			}
		}
		upTo := r.rows[q].forgotten
		for upTo < limit {
			in := r.rows.get(row, upTo)
			if in == nil || in.status != Executed {
				break
			}
			if !in.noop {
				r.rec.forgotten.add(r.n, row, upTo, in.cmds)
			}
			upTo++
		}
		r.rows.forget(row, upTo)
	}
}

// forgetFor is how far peer p lets row q be forgotten: past what it
// reported committed, and, if it is silent (silentPeers), this replica
// hears from a majority and has saved a snapshot, without limit (what the
// peers heard from committed and this replica executed): p, when it asks,
// is sent a snapshot taken for it if the newest is older than the log
// (paxi.SnapshotSender), which then holds everything executed here (one
// already being written when p asks may not, nor a payload installed from
// a peer and executed again without a record; p then asks again, and the
// next is taken after). Never past a peer heard from, nor past one a peer
// heard from does not also report silent (forgetInstances): two live replicas that each forgot what the other
// lacks (their Commits lost between them) would each refuse the other's
// snapshot, which lacks what the refuser executed and forgot, for good
// (review of 3256692, TestLiveReplicasDoNotForgetPastEachOther).
func (r *Replica) forgetFor(p, q int, silent bool) int64 {
	if silent && r.snaps.newest != nil {
		return math.MaxInt64
	}
	return r.catchUp.peerUpTo[p][q] + 1
}

// silentPeers are the peers not heard from for two retry periods since
// they were last heard or since this replica started: right after a
// restart no peer has been heard yet, and with every replica restarting
// at once (snapshot crashes in bin/sim, seed 84) each forgot what the
// others lacked and refused their snapshots.
func (r *Replica) silentPeers() uint64 {
	var out uint64
	for p := range r.n {
		if p != int(r.self) && r.quietSince(max(r.rec.heard[p], 0)) {
			out |= bit(p)
		}
	}
	return out
}

// forget drops the instances of row below upTo: each is zeroed, so the
// commands and deps it held can be collected even while its chunk is
// still in use, and every chunk wholly below upTo is released.
func (rs rows) forget(row int32, upTo int64) {
	r := &rs[row]
	for i := r.forgotten; i < upTo; i++ {
		r.chunks[i>>instChunkBits][i&(1<<instChunkBits-1)] = instance{}
	}
	r.forgotten = max(r.forgotten, upTo)
	for done := int(r.forgotten >> instChunkBits); r.released < done; r.released++ {
		r.chunks[r.released] = nil
	}
}
