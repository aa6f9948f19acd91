package conformance

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/sim"
)

// scenario is one named subtest of the suite.
type scenario struct {
	name      string
	recovery  bool // needs Capabilities.Recovery
	snapshots bool // needs Capabilities.Snapshots
	long      bool // skipped with -short
	run       func(c *T)
}

// Timings shared by the scenarios, in virtual time. With the wide-area
// matrix a command takes a few hundred milliseconds, so each window holds
// many commands per client.
const (
	warm   = time.Second     // load before the first fault
	window = 3 * time.Second // how long a fault lasts
	after  = 2 * time.Second // load after the faults end
	// settle is how long in-flight commands get to finish before a
	// blocking fault is expected to have stopped every answer.
	settle = 2 * time.Second
)

var scenarios = []scenario{
	{name: "normal", run: normal},
	{name: "minority_crash", run: minorityCrash},
	{name: "majority_crash_then_restart", run: majorityCrashThenRestart},
	{name: "isolated_node", run: isolatedNode},
	{name: "partition_then_heal", run: partitionThenHeal},
	{name: "loss_50", run: loss50},
	{name: "loss_100", run: loss100},
	{name: "duplicates", run: withLinkFaults(sim.LinkFaults{Duplicate: 0.5})},
	{name: "reorder", run: withLinkFaults(sim.LinkFaults{Reorder: true, Delay: paxi.Duration(50 * time.Millisecond)})},
	{name: "crash_after_accept_then_restart", run: crashAfterAcceptThenRestart},
	{name: "slow_replica", run: slowReplica},
	{name: "leader_failure", recovery: true, run: leaderFailure},
	{name: "majority_crash_inflight_then_restart", recovery: true, run: majorityCrashInflight},
	{name: "conflicting_proposers", run: conflictingProposers},
	{name: "short_timeouts", run: shortTimeouts},
	{name: "down_longer_than_peers_keep_their_log", snapshots: true, run: downLongerThanPeersKeep},
	{name: "random_long", long: true, run: randomLong},
}

// normal runs the load from each replica alone, then from all at once.
func normal(c *T) {
	for _, id := range replicaIDs(c.opts.n) {
		c.Sub("from_"+string(id), c.seed, func(sub *T) {
			cfg := sub.Config()
			cfg.Workload.ClientsAt = map[paxi.ID]int{}
			for _, other := range replicaIDs(c.opts.n) {
				if other != id {
					cfg.Workload.ClientsAt[other] = 0
				}
			}
			sub.Start(cfg)
			sub.RunFor(2 * time.Second)
			sub.ExpectProgress(time.Second, 5, "normal operation")
			sub.Finish()
		})
	}
	c.Sub("all", c.seed, func(sub *T) {
		sub.Start(sub.Config())
		sub.RunFor(3 * time.Second)
		sub.ExpectProgress(time.Second, 10, "normal operation")
		sub.Finish()
	})
}

// minorityCrash crashes F replicas for good: the rest keep committing.
func minorityCrash(c *T) {
	c.Start(c.Config())
	c.RunFor(warm)
	f := (c.opts.n - 1) / 2
	victims := c.Victims(f)
	c.PrepareFailure(victims...)
	for _, id := range victims {
		c.S.Crash(id)
	}
	c.RunFor(window)
	c.ExpectProgress(window-settle/2, 5, "with a minority crashed")
	c.Finish()
}

// majorityCrashThenRestart crashes F+1 replicas: nothing commits until
// they restart, then everything does.
func majorityCrashThenRestart(c *T) {
	c.Start(c.Config())
	c.RunFor(warm)
	victims := c.Victims((c.opts.n-1)/2 + 1)
	c.PrepareFailure(victims...)
	for _, id := range victims {
		c.S.Crash(id)
	}
	c.RunFor(settle + window)
	c.ExpectBlocked(window, "with a majority crashed")
	for _, id := range victims {
		c.S.Restart(id)
	}
	c.ResumeClients(victims...)
	c.RunFor(after + settle)
	c.ExpectProgress(after+settle, 5, "after the majority restarted")
	c.Finish()
}

// isolatedNode cuts one replica off, then reconnects it: the others keep
// committing, and it catches up.
func isolatedNode(c *T) {
	c.Start(c.Config())
	c.RunFor(warm)
	victim := c.Victims(1)
	c.PrepareFailure(victim...)
	c.S.Isolate(victim[0])
	c.RunFor(window)
	c.ExpectProgress(window-settle/2, 5, "with one replica isolated")
	c.S.Heal()
	c.ResumeClients(victim...)
	c.RunFor(after)
	c.Finish()
}

// partitionThenHeal splits the cluster into a majority and a minority,
// then heals: the majority keeps committing and the minority catches up.
func partitionThenHeal(c *T) {
	c.Start(c.Config())
	c.RunFor(warm)
	minority := c.Victims((c.opts.n - 1) / 2)
	c.PrepareFailure(minority...)
	c.S.Partition(minority, c.Survivors(minority))
	c.RunFor(window)
	c.ExpectProgress(window-settle/2, 5, "in the majority partition")
	c.S.Heal()
	c.ResumeClients(minority...)
	c.RunFor(after)
	c.Finish()
}

// loss50 loses half of all messages: the protocol must still progress.
func loss50(c *T) {
	c.Start(c.Config())
	c.RunFor(warm)
	c.S.SetAllLinkFaults(sim.LinkFaults{Drop: 0.5})
	c.RunFor(2 * window)
	c.ExpectProgress(2*window, 5, "with 50% message loss")
	c.S.ClearLinkFaults()
	c.RunFor(after)
	c.Finish()
}

// loss100 loses every message: nothing commits until the network returns.
func loss100(c *T) {
	c.Start(c.Config())
	c.RunFor(warm)
	c.S.SetAllLinkFaults(sim.LinkFaults{Drop: 1})
	c.RunFor(settle + window)
	c.ExpectBlocked(window, "with every message lost")
	c.S.ClearLinkFaults()
	// Retransmissions may have backed off during the outage, so progress
	// is only expected somewhere in the whole period after it.
	c.RunFor(after + settle)
	c.ExpectProgress(after+settle, 5, "after the network returned")
	c.Finish()
}

// withLinkFaults runs the load with the given faults on every link.
func withLinkFaults(f sim.LinkFaults) func(c *T) {
	return func(c *T) {
		cfg := c.Config()
		cfg.Network.Faults = f
		c.Start(cfg)
		c.RunFor(warm + window)
		c.ExpectProgress(window, 5, "with faulty links")
		c.S.ClearLinkFaults()
		c.RunFor(after)
		c.Finish()
	}
}

// crashAfterAcceptThenRestart crashes a replica that has been voting for
// the others' commands, then restarts it from what it persisted: it must
// catch up and agree with everyone.
func crashAfterAcceptThenRestart(c *T) {
	c.Start(c.Config())
	c.RunFor(warm)
	victim := c.Victims(1)
	c.PrepareFailure(victim...)
	c.RunFor(warm)
	if len(c.S.Durable(victim[0])) == 0 {
		c.fail("the victim persisted nothing while the others committed: votes must be durable before they are sent")
	}
	c.S.Crash(victim[0])
	c.RunFor(window)
	c.ExpectProgress(window-settle/2, 5, "while one replica was down")
	c.S.Restart(victim[0])
	c.ResumeClients(victim...)
	c.RunFor(after)
	c.Finish()
}

// slowReplica makes one replica's CPU slow: it falls behind but the
// cluster stays correct and it catches up.
func slowReplica(c *T) {
	c.Start(c.Config())
	c.RunFor(warm)
	c.S.SetSlow(c.Victims(1)[0], 2*time.Millisecond)
	c.RunFor(window)
	c.ExpectProgress(window, 5, "with a slow replica")
	c.S.HealAll()
	c.RunFor(after)
	c.Finish()
}

// leaderFailure crashes, under load and for good, the replica leading
// in-flight commands (the leader, or any replica for a leaderless
// protocol): the others must recover those commands and keep going.
func leaderFailure(c *T) {
	c.Start(c.Config())
	c.RunFor(warm)
	victim := c.opts.caps.Leader
	if victim == "" {
		victim = c.Victims(1)[0]
	}
	c.S.Crash(victim)
	c.RunFor(2 * window)
	c.ExpectProgress(window, 5, "after the leader of in-flight commands failed")
	c.Finish()
}

// majorityCrashInflight crashes a majority under load, with commands in
// flight, and restarts it: the in-flight commands of the dead replicas
// must be recovered.
func majorityCrashInflight(c *T) {
	c.Start(c.Config())
	c.RunFor(warm)
	victims := c.Victims((c.opts.n-1)/2 + 1)
	for _, id := range victims {
		c.S.Crash(id)
	}
	c.RunFor(window)
	for _, id := range victims {
		c.S.Restart(id)
	}
	c.RunFor(after + settle)
	c.ExpectProgress(after+settle, 5, "after the majority restarted")
	c.Finish()
}

// conflictingProposers sends every command of every replica to one key.
func conflictingProposers(c *T) {
	cfg := c.Config()
	cfg.Workload.Keys = 1
	cfg.Workload.Conflict = 1
	c.Start(cfg)
	c.RunFor(warm + window)
	c.ExpectProgress(window, 5, "with every command conflicting")
	c.Finish()
}

// shortTimeouts shrinks the tick until protocol timeouts are far shorter
// than a round trip, so that retransmission and recovery race the normal
// path; a protocol with recovery also loses a replica for a while.
func shortTimeouts(c *T) {
	cfg := c.Config()
	cfg.Tick = 100 * time.Microsecond
	c.Start(cfg)
	c.RunFor(warm)
	if c.opts.caps.Recovery {
		victim := c.Victims(1)[0]
		c.S.Crash(victim)
		c.RunFor(window / 3)
		c.S.Restart(victim)
	}
	c.RunFor(window)
	c.ExpectProgress(window, 5, "with short timeouts")
	c.Finish()
}

// randomLong runs long random fault schedules, one per seed from the
// scenario's seed on (AGORA_RANDOM_SEEDS of them, default 3), each a
// subtest named for its seed so that -run and -seed replay it alone.
func randomLong(c *T) {
	n := 3
	if v, err := strconv.Atoi(os.Getenv("AGORA_RANDOM_SEEDS")); err == nil && v > 0 {
		n = v
	}
	for k := range n {
		seed := c.seed + int64(k)
		c.Sub("seed_"+strconv.FormatInt(seed, 10), seed, randomRun)
	}
}

func randomRun(c *T) {
	cfg := c.Config()
	stop := 20 * time.Second
	rf := &sim.RandomFaults{Stop: stop}
	if !c.opts.caps.Recovery {
		rf.Quiesce = quiesceTime
		if c.opts.caps.Leader != "" {
			rf.Avoid = []paxi.ID{c.opts.caps.Leader}
		}
	}
	cfg.Random = rf
	c.Start(cfg)
	c.RunFor(stop + after)
	c.ExpectProgress(after, 5, "after the random faults ended")
	c.Finish()
}

// downLongerThanPeersKeep crashes one replica while the others snapshot
// every few commands and forget past it (what it lacks is then only in
// their snapshots), then restarts it: it must catch up from a peer's
// snapshot, sent in chunks, and serve its clients again.
func downLongerThanPeersKeep(c *T) {
	cfg := c.Config()
	cfg.Snapshots = &sim.Snapshots{Every: 20, ChunkBytes: 16 << 10}
	c.Start(cfg)
	c.RunFor(warm)
	victim := c.Victims(1)
	c.PrepareFailure(victim...)
	c.S.Crash(victim[0])
	c.RunFor(2 * window)
	c.ExpectProgress(window, 5, "while one replica was down")
	c.S.Restart(victim[0])
	c.ResumeClients(victim...)
	c.RunFor(after + settle)
	if c.S.SnapshotInstalls(victim[0]) == 0 {
		c.fail(fmt.Sprintf("%s never installed a peer's snapshot: its peers kept what it lacked, or it never asked", victim[0]))
	}
	if n := c.S.AnsweredAt(victim[0], c.S.Now()-after, c.S.Now()); n < 5 {
		c.fail(fmt.Sprintf("%s answered %d of its clients' commands in the last %v after it caught up, want at least 5", victim[0], n, after))
	}
	c.Finish()
}
