package evaluation

import (
	"fmt"
	"io"
	"time"
)

// Batching compares each protocol with batching on (the defaults) and off
// (one command per instance or slot, one input per Ready) at the same
// open-loop offered load, in one data center where the CPU is the limit.
type Batching struct {
	// Offered is the total offered load, commands a second.
	Offered float64        `json:"offered"`
	Cases   []BatchingCase `json:"cases"`
}

// BatchingCase is one protocol with batching on or off.
type BatchingCase struct {
	Protocol   string  `json:"protocol"`
	Batching   bool    `json:"batching"`
	Throughput float64 `json:"throughput"`
	MedianMs   float64 `json:"median_ms"`
	P99Ms      float64 `json:"p99_ms"`
}

// RunBatching runs each protocol at the same offered load with and without
// batching.
func RunBatching(o Options) (*Batching, error) {
	const perReplica = 9000
	f := &Batching{Offered: 5 * perReplica}
	d := max(o.Duration/40, 200*time.Millisecond)
	for _, p := range []string{"epaxos", "multipaxos", "mencius"} {
		for _, on := range []bool{true, false} {
			cfg := lanConfig(o, p, 1, d)
			cfg.Workload.Rate = perReplica
			if !on {
				cfg.Params = []byte(`{"max_batch":1}`)
				cfg.MaxBatch = 1
			}
			_, res, err := run(cfg)
			if err != nil {
				return nil, err
			}
			f.Cases = append(f.Cases, BatchingCase{Protocol: p, Batching: on, Throughput: res.Throughput,
				MedianMs: Ms(res.All.P50), P99Ms: Ms(res.All.P99)})
		}
	}
	return f, nil
}

// Case returns protocol p's case with batching on or off.
func (f *Batching) Case(p string, on bool) BatchingCase {
	for _, c := range f.Cases {
		if c.Protocol == p && c.Batching == on {
			return c
		}
	}
	return BatchingCase{}
}

// PrintBatching writes throughput and latency with batching on and off.
func PrintBatching(w io.Writer, f *Batching) {
	fmt.Fprintf(w, "=== batching: 5 replicas in one data center, open loop at %.0f commands/s in all\n", f.Offered)
	fmt.Fprintf(w, "%-12s %-9s %10s %10s %10s\n", "protocol", "batching", "tput/s", "p50 ms", "p99 ms")
	for _, c := range f.Cases {
		on := "off"
		if c.Batching {
			on = "on"
		}
		fmt.Fprintf(w, "%-12s %-9s %10.0f %10.2f %10.2f\n", c.Protocol, on, c.Throughput, c.MedianMs, c.P99Ms)
	}
	fmt.Fprintln(w)
}

// checkBatching: with batching each protocol keeps up with the offered
// load; without, it falls behind (lower throughput or a higher median).
func checkBatching(r *Report, f *Batching) {
	for _, p := range []string{"epaxos", "multipaxos", "mencius"} {
		on, off := f.Case(p, true), f.Case(p, false)
		keeps := on.Throughput >= 0.9*f.Offered
		worse := off.Throughput < 0.9*on.Throughput || off.MedianMs > 2*on.MedianMs
		r.check("batching: "+p, keeps && worse,
			"on: %.0f/s, p50 %.2f ms; off: %.0f/s, p50 %.2f ms (offered %.0f/s)", on.Throughput, on.MedianMs, off.Throughput, off.MedianMs, f.Offered)
	}
}
