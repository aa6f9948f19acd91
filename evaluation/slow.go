package evaluation

import (
	"fmt"
	"io"
	"time"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/sim"
)

// Slow is one replica slowed down (sim.SetSlow: extra service time on
// every input) in a five-replica cluster in one data center, where the
// replicas' CPUs, not the network, bound throughput.
type Slow struct {
	Extra time.Duration `json:"extra_per_input"`
	Cases []SlowCase    `json:"cases"`
}

// SlowCase is one protocol with one replica slow (or none).
type SlowCase struct {
	Protocol string `json:"protocol"`
	// SlowReplica is the slowed replica ("" for none). Multi-Paxos's
	// leader is 1.1.
	SlowReplica paxi.ID `json:"slow_replica"`
	Throughput  float64 `json:"throughput"`
	MedianMs    float64 `json:"median_ms"`
	P99Ms       float64 `json:"p99_ms"`
	// Others is the throughput of the clients of the other replicas.
	Others float64 `json:"others_throughput"`
	// Relative is Others over the same clients' throughput with no slow
	// replica.
	Relative float64 `json:"relative"`
}

// othersThroughput is the throughput of the clients whose replica is not
// slow (all, if none is): how much the slow replica slows everyone else.
func othersThroughput(res *sim.Result, slow paxi.ID, span time.Duration) float64 {
	n := 0
	for i, s := range res.Sites {
		if slow == "" || res.Replicas[i] != slow {
			n += s.Count
		}
	}
	return float64(n) / span.Seconds()
}

// slowCPU is a replica's service time in the slow-replica and batching
// experiments: a few microseconds per message, as on a real server.
var slowCPU = sim.CPU{Message: 10 * time.Microsecond, Send: 2 * time.Microsecond, Execute: time.Microsecond}

// lanConfig is five replicas in one data center with CPU costs and
// closed-loop clients at every replica.
func lanConfig(o Options, protocol string, clients int, d time.Duration) sim.Config {
	return sim.Config{
		Protocol: protocol, N: 5, Seed: o.Seed, CPU: slowCPU,
		Workload: sim.Workload{Clients: clients, Keys: 1, NoReads: true},
		Duration: d, Warmup: d / 4,
	}
}

// RunSlow runs each protocol with no slow replica, with the Multi-Paxos
// leader's replica (1.1) slow, and with another (3.1) slow.
func RunSlow(o Options) (*Slow, error) {
	f := &Slow{Extra: 200 * time.Microsecond}
	d := max(o.Duration/20, 300*time.Millisecond)
	for _, p := range []string{"epaxos", "multipaxos", "mencius"} {
		var base *sim.Result
		for _, slow := range []paxi.ID{"", "1.1", "3.1"} {
			cfg := lanConfig(o, p, 10, d)
			if p == "epaxos" {
				// Every replica gets the PreAccept and the fastest answers
				// make the quorum, so a slow one is never waited for.
				cfg.Params = []byte(`{"thrifty":false}`)
			}
			if slow != "" {
				cfg.Schedule = []sim.Action{{At: 0, Slow: &sim.SlowRule{Node: slow, Extra: paxi.Duration(f.Extra)}}}
			}
			_, res, err := run(cfg)
			if err != nil {
				return nil, err
			}
			c := SlowCase{Protocol: p, SlowReplica: slow, Throughput: res.Throughput, MedianMs: Ms(res.All.P50), P99Ms: Ms(res.All.P99)}
			c.Others = othersThroughput(res, slow, d-cfg.Warmup)
			if slow == "" {
				base = res
			}
			if b := othersThroughput(base, slow, d-cfg.Warmup); b > 0 {
				c.Relative = c.Others / b
			}
			f.Cases = append(f.Cases, c)
		}
	}
	return f, nil
}

// Case returns the case of protocol p with replica slow ("" for none).
func (f *Slow) Case(p string, slow paxi.ID) SlowCase {
	for _, c := range f.Cases {
		if c.Protocol == p && c.SlowReplica == slow {
			return c
		}
	}
	return SlowCase{}
}

// PrintSlow writes throughput and latency per protocol and slow replica.
func PrintSlow(w io.Writer, f *Slow) {
	fmt.Fprintf(w, "=== slow replica: 5 replicas in one data center, 10 clients each, one replica +%v per input (1.1 is the Multi-Paxos leader)\n", f.Extra)
	fmt.Fprintf(w, "%-12s %-6s %10s %12s %9s %9s %9s\n", "protocol", "slow", "tput/s", "others tput", "relative", "p50 ms", "p99 ms")
	for _, c := range f.Cases {
		slow := string(c.SlowReplica)
		if slow == "" {
			slow = "none"
		}
		fmt.Fprintf(w, "%-12s %-6s %10.0f %12.0f %8.0f%% %9.2f %9.2f\n", c.Protocol, slow, c.Throughput, c.Others, 100*c.Relative, c.MedianMs, c.P99Ms)
	}
	fmt.Fprintln(w, "(others: throughput of the clients of the replicas that are not slow; relative: against the same clients with no replica slow)")
	fmt.Fprintln(w)
}

// checkSlow adds the slow-replica experiment's expected outcomes: Mencius
// runs at the pace of its slowest replica wherever it is; Multi-Paxos
// slows down only when the slow one is its leader; EPaxos does not follow
// a slow replica that is not the one its clients use.
func checkSlow(r *Report, f *Slow) {
	const follows, keeps = 0.7, 0.85
	m1, m3 := f.Case("mencius", "1.1"), f.Case("mencius", "3.1")
	r.check("slow replica: Mencius follows it", m1.Relative < follows && m3.Relative < follows,
		"Mencius throughput %.0f%% and %.0f%% of normal with 1.1 or 3.1 slow (want below %.0f%%)", 100*m1.Relative, 100*m3.Relative, 100*follows)
	p1, p3 := f.Case("multipaxos", "1.1"), f.Case("multipaxos", "3.1")
	r.check("slow replica: Multi-Paxos follows only its leader", p1.Relative < follows && p3.Relative > keeps,
		"Multi-Paxos throughput %.0f%% with the leader slow (want below %.0f%%), %.0f%% with a follower slow (want above %.0f%%)", 100*p1.Relative, 100*follows, 100*p3.Relative, 100*keeps)
	e3 := f.Case("epaxos", "3.1")
	r.check("slow replica: EPaxos does not follow it", e3.Relative > keeps,
		"EPaxos throughput %.0f%% of normal with 3.1 slow (want above %.0f%%)", 100*e3.Relative, 100*keeps)
}
