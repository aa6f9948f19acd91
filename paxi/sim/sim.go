// Package sim is a deterministic discrete-event simulator for paxi
// protocols. It hosts real protocol cores (built with paxi.Lookup) on a
// virtual clock, feeds them client commands, peer messages and ticks from
// one event queue ordered by (time, sequence number), and carries out their
// Ready through paxi.Process exactly as the node runtime does. Every random
// choice (latencies, losses, the workload, the fault schedule, each
// replica's Env.Rand) comes from one source seeded with Config.Seed, so a
// seed replays one exact execution.
//
// The network has a latency matrix between zones (constant, or sampled from
// measured ping statistics, see WAN and LoadRTTs), FIFO links, optional
// bandwidth, and per-link faults: loss, duplication, reordering, extra
// delay, partitions, partial partitions, and holds that keep chosen
// messages back for a while (docs/faults.md). Replicas can crash, losing
// everything not persisted and every message in flight to them, and
// restart from their persisted records.
// A CPU model makes each replica a single server queue.
//
// After a run, Check verifies that the client history is linearizable, that
// replicas executed interfering commands in the same order and nothing
// twice, and that once the faults stopped every command completed and was
// executed everywhere. The conformance sub-package turns this into a suite
// of named scenarios any protocol runs with one call.
//
// Messages are passed as pointers between replicas. Config.Codec round-trips
// each one through an encoder instead, to catch unregistered types; wire it
// to the transport codec:
//
//	cfg.Codec = transport.RoundTrip
package sim

import (
	"fmt"
	"io"
	"math/rand"
	"runtime/debug"
	"time"

	"github.com/agora-consensus/agora/checker"
	"github.com/agora-consensus/agora/paxi"
)

// Sim is one simulated cluster. It is not safe for concurrent use.
type Sim struct {
	cfg      Config
	rng      *rand.Rand
	now      time.Duration
	q        queue
	ids      []paxi.ID
	replicas []*replica
	clients  []*client
	waits    []clientWait // by client index: what waitsAt reads
	net      network
	logs     []*ExecLog
	// restarting counts replicas crashed at a snapshot step whose restart
	// is scheduled (snapshot.go): the run is not settled before they are
	// back, since what they acknowledged may be only on their disks.
	restarting int

	sharedKeys []string
	zipfCDF    []float64 // cumulative weights of sharedKeys, when Workload.Zipf is set
	open       *openLoop // arrivals of an open-loop workload (Workload.Rate)
	loadOn     bool
	loadStop   time.Duration // when StopLoad was called (0 while running)
	record     bool          // record the history
	// keepDurable says whether replicas keep the records they persist. A
	// restart needs them; a run that cannot crash (Run without crashes in
	// its schedule) does not, and keeping every record of a long run
	// costs the garbage collector a fifth of the simulator's time.
	keepDurable bool
	hist        []checker.Operation // the client history
	histKeys    []paxi.CommandKey   // hist[i]'s command
	histHome    []int32             // hist[i]'s client's home replica
	issued      uint64
	completed   uint64
	stats       latencyStats

	faultsStop time.Duration // when the last scheduled fault ends
	actions    []string      // faults applied, for the report
	events     uint64
	trace      io.Writer
	err        error
	started    bool
	wall       time.Duration
}

// New builds a cluster from cfg. Nothing runs until Start.
func New(cfg Config) (*Sim, error) { return build(cfg, true) }

// build builds a cluster; keepDurable says whether replicas keep what they
// persist, for a restart or for Durable.
func build(cfg Config, keepDurable bool) (*Sim, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Sim{
		cfg:         cfg,
		rng:         rand.New(rand.NewSource(cfg.Seed)),
		ids:         cfg.Replicas,
		trace:       cfg.Trace,
		record:      !cfg.Check.NoLinearizability,
		keepDurable: keepDurable,
	}
	for k := range cfg.Workload.Keys {
		s.sharedKeys = append(s.sharedKeys, "k"+fmt.Sprint(k))
	}
	s.initWorkload()
	s.net = newNetwork(s.ids, cfg.Latency, cfg.Network)
	s.stats.init(cfg, s.ids)
	for i, id := range s.ids {
		s.replicas = append(s.replicas, &replica{
			s: s, idx: int32(i), id: id, zone: id.Zone(), cpu: cfg.cpuFor(id), clientsOn: true,
		})
	}
	for _, r := range s.replicas {
		if err := s.start(r); err != nil {
			return nil, err
		}
	}
	sched := append([]Action(nil), cfg.Schedule...)
	if cfg.Random != nil {
		rf := *cfg.Random // a copy: swarms share one Config between goroutines
		if len(rf.Types) == 0 {
			rf.Types = ProtocolMessages(cfg.Protocol)
		}
		sched = append(sched, rf.Generate(cfg.Seed, s.ids)...)
	}
	for _, a := range sched {
		s.faultsStop = max(s.faultsStop, a.At)
		s.q.push(a.At, event{kind: evCall, fn: func() { s.Apply(a) }})
	}
	return s, nil
}

// Start turns the load on: every running replica gets its clients.
func (s *Sim) Start() {
	if s.started {
		return
	}
	s.started = true
	s.loadOn = true
	for _, r := range s.replicas {
		if r.up && r.clientsOn {
			s.startClients(r)
		}
	}
}

// StopLoad stops every client from issuing new commands; those outstanding
// are still answered.
func (s *Sim) StopLoad() {
	if s.loadOn {
		s.loadStop = s.now
	}
	s.loadOn = false
	for _, r := range s.replicas {
		s.stopClients(r)
	}
}

// Now is the current virtual time.
func (s *Sim) Now() time.Duration { return s.now }

// IDs lists the replicas, sorted.
func (s *Sim) IDs() []paxi.ID { return append([]paxi.ID(nil), s.ids...) }

// Seed is the run's seed.
func (s *Sim) Seed() int64 { return s.cfg.Seed }

// Config returns the configuration with its defaults filled in.
func (s *Sim) Config() Config { return s.cfg }

// Err is the first failure of the run (a protocol panic, a codec error, a
// message to a non-peer), or nil.
func (s *Sim) Err() error { return s.err }

func (s *Sim) failf(format string, args ...any) {
	if s.err == nil {
		s.err = fmt.Errorf("at %v: %s", s.now, fmt.Sprintf(format, args...))
	}
}

// index returns the position of replica id, or -1.
func (s *Sim) index(id paxi.ID) int32 {
	for i, x := range s.ids {
		if x == id {
			return int32(i)
		}
	}
	return -1
}

// At schedules f at virtual time t (or now, if t has passed). Scenario
// tests use it to script steps between events.
func (s *Sim) At(t time.Duration, f func()) {
	s.q.push(max(t, s.now), event{kind: evCall, fn: f})
}

// After schedules f d after now.
func (s *Sim) After(d time.Duration, f func()) { s.At(s.now+d, f) }

// RunFor runs d of virtual time.
func (s *Sim) RunFor(d time.Duration) error { return s.RunUntil(s.now + d) }

// RunUntil runs every event up to and including virtual time t, then sets
// the clock to t. A protocol panic stops the run and is returned (with its
// stack) as the run's error, which also fails Check.
func (s *Sim) RunUntil(t time.Duration) (err error) {
	if s.err != nil {
		return s.err
	}
	start := time.Now()
	defer func() {
		s.wall += time.Since(start)
		if p := recover(); p != nil {
			s.failf("panic: %v\n%s", p, debug.Stack())
		}
		err = s.err
	}()
	for s.err == nil {
		at, ok := s.q.peek()
		if !ok || at > t {
			break
		}
		var slot int32
		s.now, slot = s.q.take()
		s.events++
		// The event runs where it lies in the slab. Events it schedules
		// may grow the slab, which leaves this one readable in the old
		// array, and its slot is not reused before release.
		s.dispatch(&s.q.slab[slot])
		s.q.release(slot)
	}
	if s.err == nil && s.now < t {
		s.now = t
	}
	return s.err
}

func (s *Sim) dispatch(e *event) {
	switch e.kind {
	case evDeliver:
		s.deliver(e)
	case evRequest:
		s.request(e)
	case evReply:
		s.reply(e)
	case evRun:
		r := s.replicas[e.to]
		if r.up && r.epoch == e.epoch {
			r.run()
		}
	case evTick:
		s.tick(e)
	case evIssue:
		s.issueEvent(e)
	case evCall:
		e.fn()
	}
}

// Settle runs until the cluster is quiet or bound has passed: every live
// client has its answer and every running replica has executed the same
// commands. It reports whether the cluster became quiet.
func (s *Sim) Settle(bound time.Duration) bool {
	deadline := s.now + bound
	step := max(s.cfg.Tick, 10*time.Millisecond)
	for {
		if s.quiet() {
			return true
		}
		if s.now >= deadline || s.err != nil {
			return false
		}
		if s.RunUntil(min(s.now+step, deadline)) != nil {
			return false
		}
	}
}

// quiet reports whether no live client waits and every running replica
// executed the same set of commands (compared by count and hash).
func (s *Sim) quiet() bool {
	if s.restarting > 0 {
		return false
	}
	for _, c := range s.clients {
		if c.alive && c.busy {
			return false
		}
	}
	if s.cfg.Check.Unreplicated {
		return true
	}
	var ref *ExecLog
	for _, r := range s.replicas {
		if !r.up {
			continue
		}
		if ref == nil {
			ref = r.log
		} else if r.log.count != ref.count || r.log.sum != ref.sum {
			return false
		}
	}
	return true
}

// Run builds the cluster, runs the load for cfg.Duration with the fault
// schedule, lets it settle, and checks the outcome.
func Run(cfg Config) (*Result, error) {
	s, err := build(cfg, mayCrash(cfg))
	if err != nil {
		return nil, err
	}
	return s.RunAll(), nil
}

// mayCrash reports whether a run of cfg can crash a replica: only its
// fault schedule can, since nothing else holds the Sim that Run builds.
func mayCrash(cfg Config) bool {
	if cfg.Random != nil || cfg.Snapshots != nil {
		return true
	}
	for _, a := range cfg.Schedule {
		if a.Crash != "" || a.Restart != "" {
			return true
		}
	}
	return false
}

// RunAll runs a built cluster to completion: the load until Duration (and
// the faults until their last action, if later), then at most the liveness
// bound for the cluster to settle; then it checks the outcome.
func (s *Sim) RunAll() *Result {
	s.Start()
	_ = s.RunUntil(s.cfg.Duration)
	s.StopLoad()
	if s.faultsStop > s.now {
		_ = s.RunUntil(s.faultsStop)
	}
	s.Settle(s.cfg.Check.Liveness)
	return s.Check()
}
