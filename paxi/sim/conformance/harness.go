package conformance

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/sim"
)

// T is one running scenario: the subtest, its simulator and helpers that
// know the protocol's capabilities.
type T struct {
	*testing.T
	// S is the simulated cluster (nil until Start).
	S        *sim.Sim
	protocol string
	params   json.RawMessage
	opts     options
	pkg      string
	seed     int64
	rng      *rand.Rand
}

// Sub runs f as a subtest of this scenario with its own seed.
func (c *T) Sub(name string, seed int64, f func(*T)) {
	c.T.Run(name, func(t *testing.T) {
		f(&T{T: t, protocol: c.protocol, params: c.params, opts: c.opts, pkg: c.pkg, seed: seed})
	})
}

// Config returns the scenario's base configuration: the protocol on the
// suite's cluster, clients at every replica, the scenario's seed.
func (c *T) Config() sim.Config {
	lat := sim.LAN(c.opts.n)
	if c.opts.latency != nil {
		lat = *c.opts.latency
	} else if c.opts.n <= len(sim.PaperSites) {
		lat = sim.WAN(c.opts.n)
	}
	cfg := sim.Config{
		Protocol: c.protocol,
		Params:   c.params,
		N:        c.opts.n,
		Seed:     c.seed,
		Latency:  lat,
		Codec:    c.opts.codec,
		Duration: time.Hour, // scenarios stop the load themselves
		Workload: sim.Workload{Clients: c.opts.clients, Keys: 5, Conflict: 0.3, Writes: 0.5},
		Check:    sim.Checks{Liveness: c.opts.liveness},
	}
	for _, f := range c.opts.tweak {
		f(&cfg)
	}
	return cfg
}

// Start builds the cluster from cfg and turns the load on.
func (c *T) Start(cfg sim.Config) *sim.Sim {
	c.Helper()
	s, err := sim.New(cfg)
	if err != nil {
		c.Fatalf("seed %d: %v", c.seed, err)
	}
	c.S = s
	c.rng = rand.New(rand.NewSource(c.seed))
	s.Start()
	return s
}

// Replay is the command that reruns this scenario with its seed.
func (c *T) Replay() string {
	var parts []string
	for _, p := range strings.Split(c.Name(), "/") {
		parts = append(parts, "^"+p+"$")
	}
	return fmt.Sprintf("go test %s -run '%s' -seed %d", c.pkg, strings.Join(parts, "/"), c.seed)
}

// RunFor advances virtual time, failing the scenario if the run broke.
func (c *T) RunFor(d time.Duration) {
	c.Helper()
	if err := c.S.RunFor(d); err != nil {
		c.fail(fmt.Sprintf("run failed: %v", err))
	}
}

// fail reports a failure with the seed and the replay command, and stops.
func (c *T) fail(msg string) {
	c.Helper()
	c.Fatalf("%s\nseed %d at %v; replay with:\n  %s", msg, c.seed, c.S.Now(), c.Replay())
}

// Victims picks k replicas to fail, chosen from the seed. A fixed leader is
// spared unless the protocol has recovery.
func (c *T) Victims(k int) []paxi.ID {
	c.Helper()
	var cand []paxi.ID
	for _, id := range c.S.IDs() {
		if c.opts.caps.Recovery || id != c.opts.caps.Leader {
			cand = append(cand, id)
		}
	}
	if k > len(cand) {
		c.Fatalf("cannot pick %d victims among %v", k, cand)
	}
	c.rng.Shuffle(len(cand), func(i, j int) { cand[i], cand[j] = cand[j], cand[i] })
	return paxi.SortIDs(cand[:k])
}

// quiesceTime is how long a replica's clients get to finish before it is
// failed, for protocols without recovery.
const quiesceTime = 2 * time.Second

// PrepareFailure readies victims for a failure. A protocol with recovery
// must cope with any failure at any moment, so nothing is done; one
// without has its victims' clients stopped and their commands finished
// first, so that no survivor waits on a command only a victim could finish.
func (c *T) PrepareFailure(victims ...paxi.ID) {
	c.Helper()
	if c.opts.caps.Recovery {
		return
	}
	for _, id := range victims {
		c.S.StopClients(id)
	}
	c.RunFor(quiesceTime)
}

// ResumeClients restarts the clients PrepareFailure stopped.
func (c *T) ResumeClients(victims ...paxi.ID) {
	for _, id := range victims {
		c.S.StartClients(id)
	}
}

// Survivors lists the replicas not in victims.
func (c *T) Survivors(victims []paxi.ID) []paxi.ID {
	var out []paxi.ID
	for _, id := range c.S.IDs() {
		if paxi.IndexOf(victims, id) < 0 {
			out = append(out, id)
		}
	}
	return out
}

// ExpectProgress fails unless at least min commands were answered during
// the last d of virtual time.
func (c *T) ExpectProgress(d time.Duration, min int, what string) {
	c.Helper()
	if n := c.S.Answered(c.S.Now()-d, c.S.Now()); n < min {
		c.fail(fmt.Sprintf("%s: %d commands answered in the last %v, want at least %d", what, n, d, min))
	}
}

// ExpectBlocked fails if any command was answered during the last d.
func (c *T) ExpectBlocked(d time.Duration, what string) {
	c.Helper()
	if n := c.S.Answered(c.S.Now()-d, c.S.Now()); n > 0 {
		c.fail(fmt.Sprintf("%s: %d commands answered in the last %v, want none", what, n, d))
	}
}

// Finish stops the load, lets the cluster settle within the liveness bound
// and runs every check, failing the scenario with its seed and replay
// command on any violation.
func (c *T) Finish() *sim.Result {
	c.Helper()
	c.S.StopLoad()
	c.S.Settle(c.S.Config().Check.Liveness)
	res := c.S.Check()
	var b strings.Builder
	res.Summary(&b)
	if res.Failed() {
		fails := res.Failures()
		if len(fails) > 20 {
			fails = append(fails[:20], fmt.Sprintf("... and %d more", len(fails)-20))
		}
		c.Fatalf("%s\n%s\nfaults:\n  %s\nseed %d; replay with:\n  %s",
			strings.Join(fails, "\n"), b.String(), strings.Join(res.Faults, "\n  "), c.seed, c.Replay())
	}
	if res.Completed == 0 {
		c.Fatalf("no command completed\n%s\nreplay with:\n  %s", b.String(), c.Replay())
	}
	c.Logf("%s", b.String())
	return res
}
