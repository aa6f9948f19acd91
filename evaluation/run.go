package evaluation

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/agora-consensus/agora/paxi/sim"
)

// Options size every experiment.
type Options struct {
	// Seed seeds every run (the same seed prints the same numbers).
	Seed int64
	// Duration is the virtual time of a wide-area run's load; the other
	// experiments scale from it.
	Duration time.Duration
	// Clients is the number of closed-loop clients per site (the paper: 10).
	Clients int
}

// DefaultOptions are simulation.sh's: 10 s of load, 10 clients a site.
func DefaultOptions() Options { return Options{Seed: 1, Duration: 10 * time.Second, Clients: 10} }

// QuickOptions are QUICK=1's: the same experiments, shorter.
func QuickOptions() Options { return Options{Seed: 1, Duration: 3 * time.Second, Clients: 10} }

// warmup is the start of a run excluded from its figures.
func (o Options) warmup() time.Duration { return min(time.Second, o.Duration/4) }

// run builds and runs one simulation, with the execution-order and
// liveness checks (the linearizability check is simulation.sh's swarm's
// job and would dominate the time here), and fails on any violation.
func run(cfg sim.Config) (*sim.Sim, *sim.Result, error) {
	cfg.Check.NoLinearizability = true
	s, err := sim.New(cfg)
	if err != nil {
		return nil, nil, err
	}
	res := s.RunAll()
	if res.Failed() {
		return s, res, fmt.Errorf("%s seed %d: %s", cfg.Protocol, cfg.Seed, strings.SplitN(res.Failures()[0], "\n", 2)[0])
	}
	return s, res, nil
}

// wanConfig is the paper's wide-area workload: closed-loop clients at
// every site writing one shared key with probability conflict, else
// private keys.
func wanConfig(o Options, protocol string, params any, m sim.Matrix, conflict float64) sim.Config {
	cfg := sim.Config{
		Protocol: protocol,
		N:        m.Zones(),
		Latency:  m,
		Seed:     o.Seed,
		Workload: sim.Workload{Clients: o.Clients, Keys: 1, Conflict: conflict, NoReads: true},
		Duration: o.Duration,
		Warmup:   o.warmup(),
	}
	if params != nil {
		cfg.Params, _ = json.Marshal(params)
	}
	return cfg
}

// stat sums a protocol counter over the replicas.
func stat(res *sim.Result, name string) float64 {
	v := 0.0
	for _, p := range res.PerReplica {
		for _, s := range p.Protocol {
			if s.Name == name {
				v += s.Value
			}
		}
	}
	return v
}

// fastPathFraction is the share of EPaxos instances committed on the fast
// path (NaN-free: 0 when none committed).
func fastPathFraction(res *sim.Result) float64 {
	fast, slow := stat(res, "epaxos_fast_path_total"), stat(res, "epaxos_slow_path_total")
	if fast+slow == 0 {
		return 0
	}
	return fast / (fast + slow)
}

// Ms converts a duration to milliseconds, the unit of every figure.
func Ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// permute returns m with its zones in the given order (0-based indices
// into m), so that zone 1 of the result is m's zone order[0]+1.
func permute(m sim.Matrix, order []int) sim.Matrix {
	out := sim.Matrix{Names: make([]string, len(order)), OneWay: make([][]sim.Dist, len(order))}
	for i, a := range order {
		out.Names[i] = m.Name(a + 1)
		out.OneWay[i] = make([]sim.Dist, len(order))
		for j, b := range order {
			out.OneWay[i][j] = m.OneWay[a][b]
		}
	}
	return out
}
