package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/agora-consensus/agora/paxi"
)

// Config describes one simulated run. The zero value of every field has a
// sensible default, so a test sets only what it cares about.
type Config struct {
	// Protocol is the registered name of the protocol every replica runs.
	Protocol string
	// Params is the protocol's own parameters (its section of config.json).
	Params json.RawMessage
	// Replicas lists the replica ids. When empty, N replicas "1.1", "2.1",
	// ... are created, one per zone, as in the paper's wide-area runs.
	Replicas []paxi.ID
	// N is the number of replicas when Replicas is empty (default 3).
	N int
	// Seed drives every random choice of the run: latencies, losses, the
	// workload, the random fault schedule and each replica's Env.Rand.
	Seed int64
	// Tick is the virtual time between two Tick calls at one replica
	// (default paxi.DefaultTick). Replicas tick out of phase.
	Tick time.Duration
	// Latency is the one-way delay between zones; its diagonal is also the
	// delay between a replica and its clients. Default: LAN.
	Latency Matrix
	// Network adds bandwidth and default link faults.
	Network Network
	// CPU is the service-time model of every replica; CPUAt overrides it
	// for single replicas. The zero CPU is infinitely fast.
	CPU   CPU
	CPUAt map[paxi.ID]CPU
	// MaxBatch caps the queued inputs a replica feeds its protocol before
	// taking Ready, like the node runtime's batch (default paxi.DefaultMaxBatch).
	MaxBatch int
	// Workload describes the clients.
	Workload Workload
	// Duration is how long clients issue commands (default 5s).
	Duration time.Duration
	// Warmup excludes commands issued before it from throughput and latency.
	Warmup time.Duration
	// Schedule lists scripted faults.
	Schedule []Action
	// Random, when set, adds a fault schedule generated from Seed.
	Random *RandomFaults
	// Check selects the checks made after the run.
	Check Checks
	// Snapshots, when set, has every replica whose protocol implements
	// paxi.Checkpointer snapshot its state machine and truncate its
	// durable records, crashing at the steps of a snapshot (snapshot.go).
	Snapshots *Snapshots
	// Codec, when set, round-trips every message and persisted record
	// (encode then decode), as the real transport and storage would, so that
	// an unregistered or unencodable type fails the run. It is a function so
	// this package does not depend on paxi/transport; see the package doc.
	Codec func(paxi.Message) (paxi.Message, error)
	// Trace, when set, receives one line per delivered message, client
	// request and reply, and fault; two runs with the same seed write the
	// same bytes.
	Trace io.Writer
	// Log receives the protocols' diagnostics (default: discarded).
	Log *slog.Logger
}

// Workload describes the closed-loop clients. Each client sends one command
// to its local replica, waits for the answer, optionally thinks, and sends
// the next; a client whose replica crashes stops, leaving its command
// pending in the history, and a fresh client takes its place when the
// replica restarts.
type Workload struct {
	// Clients is the number of clients per replica (default 1); ClientsAt
	// overrides it per replica (0 means none).
	Clients   int
	ClientsAt map[paxi.ID]int
	// Keys is the number of shared keys (default 10).
	Keys int
	// Conflict is the fraction of commands that use a shared key; the others
	// use keys private to their client, which interfere with no other
	// client's commands. 0 gives the paper's 0% interference, 1 with Keys
	// = 1 its 100%.
	Conflict float64
	// Writes is the fraction of puts; the rest are gets (default 0.5; set
	// NoReads for all writes).
	Writes  float64
	NoReads bool
	// Think is the pause between an answer and the client's next command.
	Think time.Duration
	// RetryAfter is how long a client waits before resending a command that
	// was answered with an error naming no leader (default 10ms).
	RetryAfter time.Duration
	// Timeout, when set, makes a client resend its command (same ids) to its
	// home replica when no answer came in that time; protocols that drop
	// requests at a redirected leader which then fails need it.
	Timeout time.Duration
	// Rate, when set, makes the load open-loop: commands arrive at each
	// replica that has clients as a Poisson process of Rate per second,
	// whether or not earlier ones were answered. Each arrival is sent by an
	// idle client of that replica, a new one when all are waiting, so a
	// slow protocol builds queues instead of slowing the clients down (the
	// workload of "EPaxos Revisited"). Clients then only sizes the initial
	// pool, and Think is ignored.
	Rate float64
	// Zipf, when above 0, draws shared keys from a Zipf distribution with
	// this exponent (key k with weight 1/(k+1)^Zipf) instead of uniformly.
	Zipf float64
}

// Checks selects what is verified after a run. The zero value checks
// everything.
type Checks struct {
	// NoLinearizability skips the linearizability check (and then the
	// history is not recorded at all, which benchmarks want).
	NoLinearizability bool
	// NoExecution skips the execution-order check and execution logs.
	NoExecution bool
	// NoLiveness skips the liveness check.
	NoLiveness bool
	// Unreplicated is for protocols in which each replica serves its own
	// clients alone (protocols/unreplicated): replicas are not compared,
	// so execution logs are checked each on its own (nothing executed
	// twice) and liveness only asks that every client be answered.
	Unreplicated bool
	// Liveness bounds, in virtual time, how long after the faults stop (or
	// after its call, if later) every command of a live client must be
	// answered and every executed command must be executed at every
	// running replica (default 30s).
	Liveness time.Duration
	// LinearizabilityTimeout bounds the checker's wall-clock time (default 60s).
	LinearizabilityTimeout time.Duration
}

// withDefaults fills every zero field.
func (c Config) withDefaults() (Config, error) {
	if c.Protocol == "" {
		return c, fmt.Errorf("sim: no protocol given")
	}
	if len(c.Replicas) == 0 {
		n := c.N
		if n == 0 {
			n = 3
		}
		for i := 1; i <= n; i++ {
			c.Replicas = append(c.Replicas, paxi.ID(fmt.Sprintf("%d.1", i)))
		}
	} else {
		c.Replicas = append([]paxi.ID(nil), c.Replicas...)
	}
	for i, id := range c.Replicas {
		v, err := paxi.ParseID(string(id))
		if err != nil {
			return c, fmt.Errorf("sim: %v", err)
		}
		c.Replicas[i] = v
	}
	paxi.SortIDs(c.Replicas)
	for i := 1; i < len(c.Replicas); i++ {
		if c.Replicas[i] == c.Replicas[i-1] {
			return c, fmt.Errorf("sim: replica %s listed twice", c.Replicas[i])
		}
	}
	c.N = len(c.Replicas)
	maxZone := 0
	for _, id := range c.Replicas {
		maxZone = max(maxZone, id.Zone())
	}
	if c.Latency.Zones() == 0 {
		c.Latency = LAN(maxZone)
	}
	if c.Latency.Zones() < maxZone {
		return c, fmt.Errorf("sim: replica zones go up to %d but the latency matrix has %d zones", maxZone, c.Latency.Zones())
	}
	if c.Tick <= 0 {
		c.Tick = paxi.DefaultTick
	}
	if c.MaxBatch <= 0 {
		c.MaxBatch = paxi.DefaultMaxBatch
	}
	if c.Duration <= 0 {
		c.Duration = 5 * time.Second
	}
	w := &c.Workload
	if w.Clients == 0 {
		w.Clients = 1
	}
	if w.Keys <= 0 {
		w.Keys = 10
	}
	if w.Writes == 0 && !w.NoReads {
		w.Writes = 0.5
	}
	if w.NoReads {
		w.Writes = 1
	}
	if w.Rate < 0 || w.Zipf < 0 {
		return c, fmt.Errorf("sim: workload rate %g and zipf %g must not be negative", w.Rate, w.Zipf)
	}
	if w.RetryAfter <= 0 {
		w.RetryAfter = 10 * time.Millisecond
	}
	if c.Check.Liveness <= 0 {
		c.Check.Liveness = 30 * time.Second
	}
	if c.Check.LinearizabilityTimeout <= 0 {
		c.Check.LinearizabilityTimeout = 60 * time.Second
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	for _, a := range c.Schedule {
		if err := a.validate(c.Replicas); err != nil {
			return c, err
		}
	}
	return c, nil
}
