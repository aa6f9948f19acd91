package epaxos

import (
	"math"

	"github.com/agora-consensus/agora/paxi"
)

// Catch-up from a snapshot (paxi.CatchUpper, docs/SNAPSHOTS.md "EPaxos
// catches up from a snapshot"). Forgetting (forget.go) waits for every peer
// to report an instance committed, so while a peer is down its last report
// would hold every row back and memory would grow with the outage. With
// snapshots a replica forgets past a silent peer (nothing heard for two
// retry periods), once it has saved one: a peer that then asks about an
// instance forgotten that way (a CommitRequest, a PreAccept, Accept,
// Prepare or Validate of it, or a Progress report below the forgotten
// prefix) is sent a snapshot instead, taken for it if the newest is older
// than the log, so it holds every instance executed and forgotten here
// (but for the exceptions forgetFor names, which heal on the next ask). A
// peer heard from, or one a peer heard from does not report silent, is
// never forgotten past (forget.go), and a replica
// holds, while a peer is down, what it holds with all up.
//
// Installing a peer's snapshot is a restart from the peer's checkpoint
// followed by this replica's own (restore.go): the peer's records set where
// the rows start, what is executed (in the peer's state machine, now this
// replica's), the conflict index and the summary of forgotten instances,
// and give the commits it held; this replica's own records give back every
// vote and promise it made, which stay binding. The peer's votes and
// promises are *not* taken: they are the peer's, and recovery counts votes
// per replica (rules 1-3 of docs/RECOVERY.md count identical pre-accept
// votes at the initial ballot), so a replica reporting a peer's vote as
// its own would be a second witness to one vote. (Paxos's phase 1 has no
// such count: a vote for a value really proposed at its ballot is one an
// acceptor could have cast late. EPaxos's fast-path detection is
// different, which is why this restore departs from slotpaxos's here.)

var _ paxi.CatchUpper = (*Replica)(nil)

// snapshots are the executed prefixes, per row, of the last Checkpoint
// and of the newest snapshot saved (nil: none yet, and forgetting waits
// for silent peers too); and the tick at which each row's committed
// prefix last moved.
type snapshots struct {
	taken, newest []int64
	moved         []int64
}

// startMoving sets every row as not moved since long before the start,
// or, after installing a peer's snapshot, as moved just now: the
// replica catches up on the rest from its peers first, and another peer's
// snapshot sent on a report from before the install is not installed too
// (review of 3256692).
func (s *snapshots) startMoving(installed bool) {
	for q := range s.moved {
		s.moved[q] = math.MinInt64 / 2
		if installed {
			s.moved[q] = 0
		}
	}
}

// SnapshotSaved implements paxi.CatchUpper: the last Checkpoint is durable.
func (r *Replica) SnapshotSaved() {
	s := &r.snaps
	if s.taken != nil {
		s.newest, s.taken = s.taken, nil
	}
}

// lacksForgotten reports whether instance (row, inst) is forgotten here.
// If it is and the peer a message about it came from has not reported it
// committed, p lacks what only a snapshot holds now: it is sent one. A
// peer's report is the highest it sent, and forgetting that waits for the
// peers never passes it, so this is only ever an instance forgotten past
// p while it was silent.
func (r *Replica) lacksForgotten(from paxi.ID, row int32, inst int64) bool {
	if !r.rows.isForgotten(row, inst) {
		return false
	}
	if p := paxi.IndexOf(r.peers, from); p >= 0 && p != int(r.self) && r.catchUp.peerUpTo[p][row] < inst {
		r.sendSnapshot(p)
	}
	return true
}

// sendSnapshot asks the host to send peer p the newest snapshot (the host
// sends one at a time and not again right after, paxi.SnapshotTransfers).
func (r *Replica) sendSnapshot(p int) {
	r.SendSnapshot(r.peers[p])
	r.stats.snapshotsAsked++
}

// Behind implements paxi.CatchUpper: a peer's checkpoint is worth
// installing when it executed the instance this replica's committed
// prefix of a row stops at, in a row whose prefix has not moved for two
// progress periods (a peer sends its snapshot only to a replica that lacks
// what it forgot, so a row that does not move is one the peers forgot
// past; one that moves is being caught up from a peer that still holds
// it, and right after an install the other peers' snapshots, sent on
// reports from before it, would otherwise be installed too, each failing
// the clients waiting).
//
// And it must take nothing back: every instance executed and forgotten
// here must be executed in the peer's checkpoint (per row a prefix, plus
// instances above it) or committed in it. This replica reported those
// committed, and its peers may have forgotten them since on that report
// (forget.go): were the install to lose one, no peer could send it again.
// What the peer had not executed is executed again after the install:
// from the peer's commit, or, for what this replica still holds, from its
// own (they follow the peer's checkpoint, restore.go). The host sends a
// snapshot taken for the peer if its newest is older than its state, so a
// peer that executed what this replica forgot sends one that holds it.
//
// Requiring the peer to have *executed* everything executed here, as the
// slot protocols do (a longer executed prefix), would deadlock: a replica
// stuck on an instance every peer forgot goes on executing instances of
// other rows (and above the gap) that do not depend on it, and the peer
// whose snapshot would unstick it may lack one of those, whose commit it
// would learn only once the stuck replica's committed prefix passes it
// (catchup.go pulls by prefix). Executing one again on the peer's state is
// what executing it the first time was: an instance the peer's set lacks
// has no dependent in that set (the executor runs dependencies first), so
// every interfering instance in the set comes before it in the execution
// order, as it did here.
func (r *Replica) Behind(peer []paxi.Message) bool {
	if len(peer) == 0 {
		return false
	}
	m, ok := peer[0].(*SnapshotRecord)
	if !ok || len(m.Executed) != r.n || len(m.ExecRows) != len(m.ExecInsts) {
		return false
	}
	above := make(map[instKey]bool, len(m.ExecRows))
	for j, row := range m.ExecRows {
		if row < 0 || int(row) >= r.n || m.ExecInsts[j] <= m.Executed[row] {
			return false
		}
		above[instKey{row, m.ExecInsts[j]}] = true
	}
	needs := false
	missing := map[instKey]bool{} // executed and forgotten here, not executed there
	for q := range r.n {
		row := int32(q)
		stuck := r.now-r.snaps.moved[q] > 2*int64(r.params.ProgressTicks)
		needs = needs || stuck && m.Executed[q] > r.committedUpTo[q]
		for i := m.Executed[q] + 1; i < r.rows[q].forgotten; i++ {
			if !above[instKey{row, i}] {
				if len(missing) == len(peer) {
					return false // more than its records could commit
				}
				missing[instKey{row, i}] = true
			}
		}
	}
	if !needs {
		return false
	}
	for _, rec := range peer {
		if c, ok := rec.(*CommitRecord); ok {
			delete(missing, instKey{c.Row, c.Inst})
		}
	}
	return len(missing) == 0
}
