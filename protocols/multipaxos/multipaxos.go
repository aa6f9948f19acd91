// Package multipaxos is Multi-Paxos with a stable leader, the baseline
// EPaxos is measured against (PROTOCOLS.md).
//
// A leader that has run phase 1 once for every slot from its commit point
// on proposes each batch of commands in the next slot with phase 2 alone.
// Replicas that are not the leader forward the commands their clients give
// them and answer those clients when they execute the command themselves;
// every replica executes chosen slots in slot order. A replica that hears
// nothing from a leader for a randomized election timeout runs phase 1 with
// a higher ballot (number, replica): it learns every value a majority
// accepted in the slots it does not know to be chosen, proposes the value of
// the highest ballot in each (a no-op where there is none) and only then
// proposes new commands. A replica persists a promise before its Promise
// leaves and a vote before its Accepted leaves, so two leaders at once can
// never choose two values for one slot.
//
// The first replica (the lowest id) leads from the start: no ballot below
// its initial one (0, itself) can exist, so its phase 1 is empty. That holds
// only for a replica that never persisted anything; a restarted one starts
// as a follower.
//
// A leader announces its commit point at its ballot, and a follower takes
// its vote in a slot below it as chosen only if the vote is at that ballot
// (slotpaxos.Slot.Learn). So a leader announces only slots whose value it
// proposed at its ballot or learned chosen below it: a leader that learns
// from a catch-up reply that a slot was chosen with another value (at a
// higher ballot it has not heard of) steps down instead.
//
// The slot log, the learner's rule, execution in slot order with a durable
// commit point, restore, catch-up answers and forgetting are
// paxi/slotpaxos's, shared with Mencius. Every replica forgets the slots
// that all replicas have executed (each reports what it executed to every
// peer, paxi.SlotProgress), and persists its commit point with the slots
// it executes, so a restarted replica executes its own records again and
// never needs a slot the others forgot. A replica that is down stops the
// forgetting until it is back, unless snapshots are on: then a replica
// forgets past a silent peer what the peers it hears from executed
// (slotpaxos/forget.go), and sends a peer that asks for a slot it forgot
// (a CatchUp, a Prepare) a snapshot instead (paxi.CatchUpper,
// docs/SNAPSHOTS.md).
//
// A Promise to a candidate carries every slot it lacks, in parts of at most
// paxi.MessageBudget bytes that the candidate asks for one after another.
// A replica's checkpoint (paxi.Checkpointer) is its slot log as held and
// its promise, so the host truncates the durable log behind a snapshot.
package multipaxos

import (
	"fmt"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/slotpaxos"
)

// Name is the registered protocol name.
const Name = "multipaxos"

func init() { slotpaxos.Register(Name, New) }

// entry is one slot as this replica knows it: the shared slot state and,
// at the leader, its proposal at the current ballot.
type entry = slotpaxos.Entry

// Replica is one Multi-Paxos replica.
type Replica struct {
	paxi.Outbox
	p     Params
	env   paxi.Env
	peers []paxi.ID
	self  int
	maj   int

	bal      paxi.Ballot // the highest ballot seen; nothing lower is accepted
	promised paxi.Ballot // the highest ballot durably promised (or voted at)
	ballots  paxi.Ballots
	leaderID paxi.ID   // bal.ID(), kept to avoid formatting it per message
	leading  bool      // phase 1 done for bal, which is this replica's
	camp     *campaign // phase 1 in progress for bal

	log   slotpaxos.Log[entry]
	next  int64 // leader: the next free slot
	heard int64 // highest commit point a peer announced

	// assigned is keyed by command. paxi.Waiting, made for the runtime's
	// waiting clients, serves as the map: a ring per client indexed by
	// command id, where a map keyed by (client, id) was a third of the
	// leader's CPU at saturation.
	queue    []paxi.Command         // leader or candidate: waiting for a slot
	assigned paxi.Waiting[struct{}] // leader: proposed at bal, not executed yet
	fwdBuf   []paxi.Command         // to forward to the leader at the next Ready
	pending  paxi.Retries           // commands proposed here, until executed here

	exec       func(paxi.Command) // execute, bound once: Advance takes it per slot
	retrans    slotpaxos.Retransmit
	now        int64
	election   paxi.Timer
	backoff    int // election timeouts in a row with no leader heard; doubles the next
	heartbeat  paxi.Timer
	announced  int64 // leader: commit point last broadcast
	catchingUp int64 // tick of the last CatchUp sent
	asked      int   // the peer it went to (-1: none yet)
	askedAt    int64 // this replica's commit point then

	stats stats
}

type stats struct {
	campaigns, elected, resends, forwards, caughtUp, noops, rejects, superseded uint64
}

// New builds a replica, restoring what it persisted.
func New(env paxi.Env) (*Replica, error) {
	p, err := decodeParams(env)
	if err != nil {
		return nil, err
	}
	c, err := slotpaxos.NewCore(Name, env, p.ProgressTicks, p.RetryTicks, slotpaxos.EntrySlot)
	if err != nil {
		return nil, err
	}
	r := &Replica{Outbox: c.Outbox, p: p, env: env, peers: env.Peers,
		self: c.Self, maj: c.Maj, ballots: c.Ballots, log: c.Log, retrans: c.Retrans}
	r.exec = r.execute
	if len(env.Restored) == 0 {
		r.setBallot(paxi.NewBallot(0, env.Peers[0]))
		if r.self == 0 {
			r.leading = true
		}
	} else if err := r.restore(env.Restored); err != nil {
		return nil, err
	}
	r.advance() // re-execute what was committed before the restart
	r.resetElection()
	r.heartbeat.Reset(p.HeartbeatTicks)
	r.catchingUp = -int64(p.RetryTicks) // never
	r.asked, r.askedAt = -1, -1
	return r, nil
}

// restore rebuilds the promise, the votes and the commit point from the
// records.
func (r *Replica) restore(recs []paxi.Message) error {
	bal := paxi.Ballot(0)
	for _, m := range recs {
		switch m := m.(type) {
		case *Promised:
			bal = max(bal, m.Ballot)
			continue
		case *Vote:
			bal = max(bal, m.Ballot)
		}
		if err := r.log.Restore(m); err != nil {
			return fmt.Errorf("%s: %w", Name, err)
		}
	}
	r.promised = bal
	if err := r.log.Restored(); err != nil {
		return fmt.Errorf("%s: %w", Name, err)
	}
	// A replica that only ever learned values by catch-up holds no ballot:
	// it follows the first leader until it hears of another.
	r.setBallot(max(bal, paxi.NewBallot(0, r.peers[0])))
	return nil
}

// setBallot records a higher (or the first) ballot. A leader or candidate
// of a lower one steps down; its queued commands are still in pending and
// are routed to the new leader when they are retried.
func (r *Replica) setBallot(b paxi.Ballot) {
	if b == r.bal && r.leaderID != "" {
		return
	}
	if b < r.bal {
		panic(fmt.Sprintf("%s: %s: ballot %s would go back to %s", Name, r.Self(), r.bal, b))
	}
	r.bal, r.leaderID = b, b.ID()
	r.stepDown()
}

// stepDown ends leading or running for r.bal. The commands queued here are
// still in pending and are routed again when they are retried.
func (r *Replica) stepDown() {
	r.leading, r.camp = false, nil
	r.queue = r.queue[:0]
	r.assigned = paxi.Waiting[struct{}]{}
}

// resetElection restarts the wait for a leader, with a random share. Each
// election timeout that passed without a leader doubles the wait, so that
// a timeout configured shorter than a round trip (where every campaign is
// overtaken by the next before its promises arrive) still ends with a
// leader; hearing one resets it.
func (r *Replica) resetElection() {
	t := r.p.ElectionTicks << r.backoff
	r.election.Reset(t + r.env.Rand.Intn(t))
}

// heardLeader notes a message from the leader of the promised ballot.
func (r *Replica) heardLeader() {
	r.backoff = 0
	r.resetElection()
}

// Propose queues a client command at the leader and forwards it elsewhere.
func (r *Replica) Propose(req paxi.Request) {
	r.pending.Add(req.Command, r.now)
	r.route(req.Command)
}

// route sends c where it can be proposed: this replica's queue if it leads
// or is running for leader, else the leader it knows.
func (r *Replica) route(c paxi.Command) {
	switch {
	case r.leading || r.camp != nil:
		r.queue = append(r.queue, c)
	case r.leaderID != r.Self():
		r.fwdBuf = append(r.fwdBuf, c)
	}
}

// Step handles a peer's message.
func (r *Replica) Step(from paxi.ID, msg paxi.Message) {
	p := paxi.IndexOf(r.peers, from)
	if p < 0 || p == r.self {
		return
	}
	r.log.Heard(p)
	if !r.validBallot(msg) {
		return
	}
	switch m := msg.(type) {
	case *Prepare:
		r.onPrepare(from, m)
	case *Promise:
		r.onPromise(p, m)
	case *Accept:
		r.onAccept(from, m)
	case *Accepted:
		r.onAccepted(p, m)
	case *Reject:
		r.onReject(m)
	case *Heartbeat:
		r.onHeartbeat(from, m)
	case *Forward:
		r.onForward(from, m)
	case *CatchUp:
		r.onCatchUp(from, m)
	case *Chosen:
		r.onChosen(from, m)
	case *paxi.SlotProgress:
		r.log.NoteProgress(p, m)
		r.heard = max(r.heard, min(m.Commit, r.log.Commit+slotpaxos.Window))
	}
}

// onForward queues forwarded commands at the leader (or candidate) and
// passes them on elsewhere, so that a leader change costs no retry wait.
func (r *Replica) onForward(from paxi.ID, m *Forward) {
	switch {
	case r.leading || r.camp != nil:
		r.queue = append(r.queue, m.Cmds...)
	case r.leaderID != r.Self() && r.leaderID != from && int(m.Hops) < len(r.peers):
		r.Send(r.leaderID, &Forward{Cmds: m.Cmds, Hops: m.Hops + 1})
		r.stats.forwards += uint64(len(m.Cmds))
	}
}

// Tick drives heartbeats, elections and retries.
func (r *Replica) Tick() {
	r.now++
	if r.leading {
		if r.heartbeat.Tick() {
			r.heartbeat.Restart()
			r.broadcastHeartbeat()
		}
		r.retrans.Tick()
		r.resendAccepts()
	} else if r.election.Tick() {
		r.backoff = min(r.backoff+1, slotpaxos.MaxBackoff)
		r.campaign()
	}
	if r.catchingUpNow() && r.now-r.catchingUp >= int64(r.p.RetryTicks) {
		r.askCatchUp()
	}
	r.retryForwards()
	r.log.Progress(&r.Outbox, r.now)
}

// Ready proposes what is queued and takes everything produced.
func (r *Replica) Ready() paxi.Ready {
	r.flushQueue()
	if len(r.fwdBuf) > 0 {
		// In Forwards of at most paxi.MessageBudget bytes each.
		for rest := r.fwdBuf; r.leaderID != r.Self() && len(rest) > 0; {
			k := paxi.CutBatch(rest, 0)
			r.Send(r.leaderID, &Forward{Cmds: rest[:k:k]})
			r.stats.forwards += uint64(k)
			rest = rest[k:]
		}
		r.fwdBuf = nil
	}
	if rec, ok := r.log.Durable(); ok {
		r.Persist(rec)
	}
	r.log.Forget()
	if r.leading && r.log.Commit > r.announced {
		r.announced = r.log.Commit
		r.heartbeat.Restart()
		r.broadcastHeartbeat()
	}
	return r.Outbox.Ready()
}

// retryForwards routes again, at most ResendLimit per tick, the commands
// proposed here that have waited RetryTicks without executing.
func (r *Replica) retryForwards() {
	r.pending.Due(r.now, int64(r.p.RetryTicks), r.p.ResendLimit, func(c paxi.Command) bool {
		r.route(c)
		return true
	})
}

// Stats reports the protocol's counters.
func (r *Replica) Stats() []paxi.Stat {
	leading := 0.0
	if r.leading {
		leading = 1
	}
	s := &r.stats
	return append(append(slotpaxos.Counters(Name, slotpaxos.C("campaigns_total", "phase 1 rounds this replica started", s.campaigns),
		slotpaxos.C("elected_total", "phase 1 rounds this replica won", s.elected), slotpaxos.C("noops_total", "holes a new leader filled with a no-op", s.noops),
		slotpaxos.C("resends_total", "Accepts resent", s.resends), slotpaxos.C("forwarded_total", "commands forwarded to the leader", s.forwards),
		slotpaxos.C("caught_up_total", "chosen slots learned from the leader's catch-up replies", s.caughtUp),
		slotpaxos.C("superseded_total", "times this leader stepped down on learning a slot chosen at a higher ballot", s.superseded),
		slotpaxos.C("rejects_total", "messages refused for a stale ballot", s.rejects)),
		paxi.Stat{Name: Name + "_leading", Help: "1 while this replica is the leader", Value: leading}), r.log.Stats(Name)...)
}

// validBallot reports whether a message's ballot, if it has one, is one a
// replica of this cluster could have made. A ballot number at its maximum
// has no successor, and a ballot of a stranger could never be outbid by one
// of ours; a single such Prepare would otherwise end all elections.
func (r *Replica) validBallot(msg paxi.Message) bool {
	var b paxi.Ballot
	switch m := msg.(type) {
	case *Prepare:
		b = m.Ballot
	case *Promise:
		b = m.Ballot
	case *Accept:
		b = m.Ballot
	case *Accepted:
		b = m.Ballot
	case *Reject:
		b = m.Ballot
	case *Heartbeat:
		b = m.Ballot
	default:
		return true
	}
	return r.ballots.Valid(b) && b.N() <= slotpaxos.MaxBallotN(r.bal.N())
}
