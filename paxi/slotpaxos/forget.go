package slotpaxos

import (
	"math/bits"
	"slices"

	"github.com/agora-consensus/agora/paxi"
)

// Forgetting. A slot may go once every replica executed it: none is needed
// again, since a replica behind asks only for slots above what it
// executed, phase 1 covers only slots above the candidate's commit point,
// and a restarted replica executes its own records.
//
// A replica that is down or cut off stops reporting, so that rule alone
// would hold every slot of the outage. Once the host can send snapshots
// (catchup.go) a replica also forgets:
//
//   - below the snapshot saved before its newest, past any peer: a live
//     follower a few batches behind never lacks those;
//   - past a silent peer (not heard from for two idle report periods,
//     counted from this replica's start too), what every peer heard from
//     executed, while it hears from a majority. The peer, when it is back
//     and asks for a forgotten slot, is sent a snapshot (Forgot), taken
//     for it if the newest is older than the log (paxi.SnapshotSender), so
//     memory while a peer is down is what it is with all up.
//
// Installing never goes back (Behind: a longer executed prefix), and a
// replica forgets only what it executed, so whichever of two replicas
// executed more can always be installed by the other: no two replicas can
// refuse each other's snapshots, the deadlock EPaxos must avoid by never
// forgetting past a peer it hears from (protocols/epaxos/forget.go). The
// majority condition keeps a replica cut off with a minority, which
// executes nothing new, from forgetting what it would then have to get
// back from a snapshot.

// Executions is what each replica executed (every slot below), by its
// index, as far as this replica heard, with its own point (Reported) at
// its own index: a replica that hears every other one (a Multi-Paxos
// leader, in its Accepteds) passes it on, so that the others forget by it without
// waiting for each other's periodic reports (paxi.SlotProgress).
func (l *Log[E]) Executions() []int64 {
	out := slices.Clone(l.peerExec)
	out[l.self] = l.Reported()
	return out
}

// NoteExecutions takes a peer's Executions. What one replica heard of
// another's executed point holds for all: the point only grows, and a
// replica reports it only once its commit point is durable. A list of
// another length (not of this configuration) is ignored.
func (l *Log[E]) NoteExecutions(x []int64) {
	if len(x) != len(l.peerExec) {
		return
	}
	for p, e := range x {
		if p != l.self {
			l.NoteExecuted(p, e)
		}
	}
}

// Heard notes a message from peer p, at the tick of the last Report.
func (l *Log[E]) Heard(p int) { l.heard[p] = l.now }

// silent are the peers not heard from for two idle report periods: a
// live peer reports at least once a period (Report).
func (l *Log[E]) silent() Acks {
	var out Acks
	for p, t := range l.heard {
		if p != l.self && l.now-t >= 2*l.progress.Idle {
			out |= Bit(p)
		}
	}
	return out
}

// Forget drops the slots forgetting allows, and reports whether it
// dropped any.
func (l *Log[E]) Forget() bool {
	upTo := l.Executed
	var skip Acks
	if l.catchUp {
		if silent := l.silent(); len(l.heard)-bits.OnesCount64(uint64(silent)) >= paxi.Majority(len(l.heard)) {
			skip = silent
		}
	}
	for p, x := range l.peerExec {
		if p != l.self && skip&Bit(p) == 0 {
			upTo = min(upTo, x)
		}
	}
	return l.Drop(max(upTo, l.saved))
}
