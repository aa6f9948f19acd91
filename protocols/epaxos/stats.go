package epaxos

import (
	"slices"

	"github.com/agora-consensus/agora/paxi"
)

// counters are the replica's measurements; Stats reports them.
type counters struct {
	instances         int64 // own instances started
	commands          int64 // commands in them
	fastPaths         int64 // own instances committed on the fast path
	slowPaths         int64 // own instances that went through Accept
	slowByTimeout     int64 // of those, because the fast quorum did not answer in time
	slowBySuspicion   int64 // of those, because the peers still to answer were suspected down
	fastBlockedByDeps int64 // fast path refused only because a dependency was not known committed
	abandoned         int64 // own instances taken over by a higher ballot
	preAcceptsSent    int64
	acceptsSent       int64
	commitsSent       int64
	commitsResent     int64 // Commits sent again, on request or by a resend round
	retransmits       int64 // PreAccepts and Accepts sent again, on a timeout or a gap
	gapResends        int64 // of those, because the peer answered a later round (rto.go)
	timeouts          int64 // leader round timeouts
	progressSent      int64
	records           int64 // records persisted
	restoredCommits   int64
	depsSum           int64 // rows depended on, summed over committed instances
	depsCount         int64 // committed instances
	executedCmds      int64
	execDelaySum      int64 // ticks from commit to execution, summed
	execDelayCount    int64
	execDelayMax      int64
	throttled         int64 // Readies that left proposals queued because of max_inflight
	catchUpRequests   int64 // CommitRequests sent
	catchUpCommits    int64 // commits learned from their answers
	refusedAhead      int64 // messages ignored for naming an instance too far ahead (bounds.go)
	refusedMalformed  int64 // messages ignored for a malformed batch (bounds.go)
	snapshotsAsked    int64 // snapshots asked sent to a peer that lacked what was forgotten (snapcatchup.go)
}

// Counters is a snapshot of a replica's measurements, for tests and
// benchmarks.
type Counters struct {
	Instances, Commands          int64
	FastPaths, SlowPaths         int64
	SlowByTimeout                int64
	SlowBySuspicion              int64
	FastBlockedByDeps            int64
	PreAcceptsSent, AcceptsSent  int64
	CommitsSent, CommitsResent   int64
	Retransmits, Timeouts        int64
	GapResends                   int64 // of Retransmits, on a gap (rto.go)
	Executed, ExecutedCmds       int64 // instances, commands
	PendingExecution             int64 // committed, not executed
	Components, MaxComponent     int64
	MaxSearchDepth               int64
	BlockedSearches, Searches    int64
	DepsSum, DepsCount           int64
	ExecDelaySum, ExecDelayCount int64
	ExecDelayMax                 int64
	Throttled, Queued            int64 // max_inflight stalls; proposals waiting now
	OwnUnexecuted                int64 // own instances started, not executed here
	CatchUpRequests              int64 // CommitRequests sent
	CatchUpCommits               int64 // commits learned from their answers
	HeldInstances                int64 // instances held in memory, not forgotten (forget.go)
	RefusedAhead                 int64 // messages ignored for naming an instance too far ahead (bounds.go)
	RefusedMalformed             int64 // messages ignored for a malformed batch (bounds.go)
	SnapshotsAsked               int64 // times a peer lacking what was forgotten was to be sent a snapshot (snapcatchup.go)
}

// Counters returns the replica's measurements.
func (r *Replica) Counters() Counters {
	s, e := &r.stats, &r.exec.stats
	return Counters{
		Instances: s.instances, Commands: s.commands,
		FastPaths: s.fastPaths, SlowPaths: s.slowPaths,
		SlowByTimeout: s.slowByTimeout, SlowBySuspicion: s.slowBySuspicion, FastBlockedByDeps: s.fastBlockedByDeps,
		PreAcceptsSent: s.preAcceptsSent, AcceptsSent: s.acceptsSent,
		CommitsSent: s.commitsSent, CommitsResent: s.commitsResent,
		Retransmits: s.retransmits, Timeouts: s.timeouts, GapResends: s.gapResends,
		Executed: e.executed, ExecutedCmds: s.executedCmds,
		PendingExecution: e.pending,
		Components:       e.components, MaxComponent: e.compMax,
		MaxSearchDepth:  e.maxDepth,
		BlockedSearches: e.blocked, Searches: e.searches,
		DepsSum: s.depsSum, DepsCount: s.depsCount,
		ExecDelaySum: s.execDelaySum, ExecDelayCount: s.execDelayCount,
		ExecDelayMax: s.execDelayMax,
		Throttled:    s.throttled, Queued: int64(len(r.queue)),
		OwnUnexecuted:   r.ownUnexecuted,
		CatchUpRequests: s.catchUpRequests, CatchUpCommits: s.catchUpCommits,
		HeldInstances: r.rows.held(), RefusedAhead: s.refusedAhead, RefusedMalformed: s.refusedMalformed,
		SnapshotsAsked: s.snapshotsAsked,
	}
}

// Stats implements paxi.Reporter.
func (r *Replica) Stats() []paxi.Stat {
	c := r.Counters()
	mean := func(sum, n int64) float64 {
		if n == 0 {
			return 0
		}
		return float64(sum) / float64(n)
	}
	return []paxi.Stat{
		{Name: "epaxos_instances_total", Help: "Instances this replica led.", Value: float64(c.Instances), Counter: true},
		{Name: "epaxos_commands_total", Help: "Commands in instances this replica led.", Value: float64(c.Commands), Counter: true},
		{Name: "epaxos_fast_path_total", Help: "Own instances committed on the fast path.", Value: float64(c.FastPaths), Counter: true},
		{Name: "epaxos_slow_path_total", Help: "Own instances committed through Accept.", Value: float64(c.SlowPaths), Counter: true},
		{Name: "epaxos_slow_path_timeout_total", Help: "Slow paths taken because the fast quorum did not answer in time.", Value: float64(c.SlowByTimeout), Counter: true},
		{Name: "epaxos_slow_path_suspicion_total", Help: "Slow paths taken at a majority because the peers still to answer were suspected down.", Value: float64(c.SlowBySuspicion), Counter: true},
		{Name: "epaxos_fast_path_refused_uncommitted_deps_total", Help: "Matching fast quorums sent to Accept because a dependency was not known committed.", Value: float64(c.FastBlockedByDeps), Counter: true},
		{Name: "epaxos_preaccepts_sent_total", Help: "PreAccept messages sent.", Value: float64(c.PreAcceptsSent), Counter: true},
		{Name: "epaxos_accepts_sent_total", Help: "Accept messages sent.", Value: float64(c.AcceptsSent), Counter: true},
		{Name: "epaxos_commits_sent_total", Help: "Commit messages sent by leaders.", Value: float64(c.CommitsSent), Counter: true},
		{Name: "epaxos_commits_resent_total", Help: "Commit messages sent again.", Value: float64(c.CommitsResent), Counter: true},
		{Name: "epaxos_retransmits_total", Help: "PreAccept and Accept messages resent, after a timeout or a gap.", Value: float64(c.Retransmits), Counter: true},
		{Name: "epaxos_gap_resends_total", Help: "PreAccept and Accept messages resent because the peer answered a later one.", Value: float64(c.GapResends), Counter: true},
		{Name: "epaxos_executed_instances_total", Help: "Instances executed.", Value: float64(c.Executed), Counter: true},
		{Name: "epaxos_executed_commands_total", Help: "Commands executed.", Value: float64(c.ExecutedCmds), Counter: true},
		{Name: "epaxos_pending_execution", Help: "Instances committed but not executed yet.", Value: float64(c.PendingExecution)},
		{Name: "epaxos_deps_per_instance_mean", Help: "Mean number of rows a committed instance depends on.", Value: mean(c.DepsSum, c.DepsCount)},
		{Name: "epaxos_scc_size_max", Help: "Largest strongly connected component executed.", Value: float64(c.MaxComponent)},
		{Name: "epaxos_scc_size_mean", Help: "Mean size of executed strongly connected components.", Value: mean(c.Executed, c.Components)},
		{Name: "epaxos_commit_to_execute_ticks_mean", Help: "Mean ticks from commit to execution.", Value: mean(c.ExecDelaySum, c.ExecDelayCount)},
		{Name: "epaxos_throttled_total", Help: "Times proposals waited because max_inflight own instances were unexecuted.", Value: float64(c.Throttled), Counter: true},
		{Name: "epaxos_queued_proposals", Help: "Proposals waiting for an instance.", Value: float64(c.Queued)},
		{Name: "epaxos_catchup_requests_total", Help: "CommitRequests sent for commits missed.", Value: float64(c.CatchUpRequests), Counter: true},
		{Name: "epaxos_catchup_commits_total", Help: "Commits learned from answers to CommitRequests.", Value: float64(c.CatchUpCommits), Counter: true},
		{Name: "epaxos_refused_malformed_total", Help: "Messages ignored because they carry a malformed batch (an empty one that is no no-op, a no-op with commands, a Validate of nothing).", Value: float64(c.RefusedMalformed), Counter: true},
		{Name: "epaxos_refused_too_far_ahead_total", Help: "Messages ignored because they name an instance too far past this replica's committed prefix; a replica far behind refuses its peers' live traffic while it catches up.", Value: float64(c.RefusedAhead), Counter: true},
		{Name: "epaxos_snapshots_asked_total", Help: "Times a peer that lacked instances forgotten here was to be sent this replica's newest snapshot (the host sends one transfer at a time).", Value: float64(c.SnapshotsAsked), Counter: true},
		{Name: "epaxos_instances_held", Help: "Instances held in memory: known and not yet forgotten.", Value: float64(c.HeldInstances)},
		{Name: "epaxos_commit_to_execute_ticks_max", Help: "Most ticks from commit to execution.", Value: float64(c.ExecDelayMax)},
	}
}

// Status returns the status of instance inst of the row led by replica row
// at this replica (None for an unknown row or instance, Executed for a
// forgotten one).
func (r *Replica) Status(row paxi.ID, inst int64) Status {
	q := paxi.IndexOf(r.peers, row)
	if q < 0 {
		return None
	}
	if in := r.rows.get(int32(q), inst); in != nil {
		return in.status
	}
	if r.rows.isForgotten(int32(q), inst) {
		return Executed
	}
	return None
}

// Attributes returns the seq and deps this replica holds for an instance
// (a copy), and whether it holds any.
func (r *Replica) Attributes(row paxi.ID, inst int64) (seq int64, deps []int64, ok bool) {
	q := paxi.IndexOf(r.peers, row)
	if q < 0 {
		return 0, nil, false
	}
	in := r.rows.get(int32(q), inst)
	if in == nil || in.status == None {
		return 0, nil, false
	}
	return in.seq, slices.Clone(in.deps), true
}

// Ballots returns the promised ballot and the ballot of the last vote this
// replica holds for an instance.
func (r *Replica) Ballots(row paxi.ID, inst int64) (bal, vbal paxi.Ballot) {
	q := paxi.IndexOf(r.peers, row)
	if q < 0 {
		return 0, 0
	}
	if in := r.rows.get(int32(q), inst); in != nil {
		return in.bal, in.vbal
	}
	return 0, 0
}

// InstanceID names an instance: the replica leading its row, and its
// number in the row.
type InstanceID struct {
	Row  paxi.ID
	Inst int64
}

// WaitingFor lists the instances not committed at this replica that
// execution here is waiting for.
func (r *Replica) WaitingFor() []InstanceID {
	var out []InstanceID
	for _, v := range r.exec.waitingFor() {
		out = append(out, InstanceID{Row: r.peers[v.row], Inst: v.inst})
	}
	return out
}

// NextInstance is the number the next own instance will get.
func (r *Replica) NextInstance() int64 { return r.next }

// Params returns the parameters in force.
func (r *Replica) Params() Params { return r.params }
