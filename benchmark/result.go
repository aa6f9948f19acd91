package benchmark

import (
	"fmt"
	"io"
	"time"

	"github.com/agora-consensus/agora/checker"
	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/stats"
)

// Latency is a set of latency figures; percentiles are stats.Rank's, read
// from a stats.Histogram (within 0.4%); mean and max are exact.
type Latency struct {
	Mean time.Duration `json:"mean_ns"`
	P50  time.Duration `json:"p50_ns"`
	P90  time.Duration `json:"p90_ns"`
	P95  time.Duration `json:"p95_ns"`
	P99  time.Duration `json:"p99_ns"`
	P999 time.Duration `json:"p99_9_ns"`
	Max  time.Duration `json:"max_ns"`
}

func latencyOf(h *stats.Histogram) Latency {
	return Latency{Mean: h.Mean(), P50: h.Percentile(0.5), P90: h.Percentile(0.9), P95: h.Percentile(0.95),
		P99: h.Percentile(0.99), P999: h.Percentile(0.999), Max: h.Max()}
}

// Result is what one run measured. A command is measured if it was (to
// be) sent inside the window; in open loop its latency runs from when it
// should have been sent.
type Result struct {
	Ops        int           `json:"ops"`        // commands of the window answered without error
	Errors     int           `json:"errors"`     // commands of the window answered with an error
	Failed     int           `json:"failed"`     // commands whose connection broke before the reply, at any time in the run
	Unanswered int           `json:"unanswered"` // commands still without a reply 10s after the load stopped
	Elapsed    time.Duration `json:"elapsed_ns"` // length of the measured window
	Throughput float64       `json:"throughput_ops_per_s"`
	Latency
	// Replicas has one entry per target replica, in id order.
	Replicas []ReplicaResult `json:"replicas"`
	// Zones has one entry per zone the clients sat in (their target's zone
	// unless clients_per_zone placed them).
	Zones []ZoneResult `json:"zones"`
	// Per100ms counts the measured commands answered in each 100 ms of
	// the window.
	Per100ms []int `json:"ops_per_100ms"`
	// Seconds is the progress of each second from the start, warm-up
	// included.
	Seconds []Second `json:"seconds"`
	// ClientCPU is the load generator's user+system CPU in the window,
	// when the platform reports it.
	ClientCPU time.Duration `json:"client_cpu_ns"`

	Hist    *stats.Histogram    `json:"-"` // every measured latency
	History []checker.Operation `json:"-"` // with Options.History: every command of the run
}

// ReplicaResult is the share of one target replica: what its clients
// measured, and why they stopped if they did.
type ReplicaResult struct {
	ID         paxi.ID `json:"id"`
	Ops        int     `json:"ops"`
	Errors     int     `json:"errors"`
	Failed     int     `json:"failed"`
	Unanswered int     `json:"unanswered"`
	// Down says why this replica's clients stopped before the end: it
	// refused connections at the start, or a connection broke (with when).
	Down string `json:"down,omitempty"`
	Latency
}

// ZoneResult is what the clients of one zone measured.
type ZoneResult struct {
	Zone   string `json:"zone"`
	Ops    int    `json:"ops"`
	Errors int    `json:"errors"`
	Latency
}

// Second is one progress line.
type Second struct {
	Second   int           `json:"second"` // from the start of the run
	Warmup   bool          `json:"warmup"`
	Ops      int           `json:"ops"` // answered in that second, errors included
	Errors   int           `json:"errors"`
	InFlight int           `json:"in_flight"` // unanswered commands at its end
	P50      time.Duration `json:"p50_ns"`
	P99      time.Duration `json:"p99_ns"`
}

func (s Second) String() string {
	phase := ""
	if s.Warmup {
		phase = " (warm-up)"
	}
	return fmt.Sprintf("%4ds ops/s=%d p50=%v p99=%v errors=%d in_flight=%d%s", s.Second, s.Ops,
		s.P50.Round(time.Microsecond), s.P99.Round(time.Microsecond), s.Errors, s.InFlight, phase)
}

// Trouble reports whether the replica went down or left a command failed
// or unanswered.
func (r ReplicaResult) Trouble() bool { return r.Down != "" || r.Failed > 0 || r.Unanswered > 0 }

func (r ReplicaResult) String() string {
	s := fmt.Sprintf("replica %s ops=%d errors=%d failed=%d unanswered=%d", r.ID, r.Ops, r.Errors, r.Failed, r.Unanswered)
	if r.Down != "" {
		s += " " + r.Down
	}
	return s
}

// Trouble reports whether any replica went down or left a command failed
// or unanswered: the figures then describe a smaller cluster than asked.
func (r Result) Trouble() bool {
	for _, rr := range r.Replicas {
		if rr.Trouble() {
			return true
		}
	}
	return r.Failed > 0 || r.Unanswered > 0
}

func (r Result) String() string {
	return fmt.Sprintf("ops=%d errors=%d failed=%d unanswered=%d elapsed=%v throughput=%.0f/s latency %s",
		r.Ops, r.Errors, r.Failed, r.Unanswered, r.Elapsed.Round(time.Millisecond), r.Throughput, r.Latency)
}

func (l Latency) String() string {
	us := func(d time.Duration) time.Duration { return d.Round(time.Microsecond) }
	return fmt.Sprintf("mean=%v p50=%v p90=%v p95=%v p99=%v p99.9=%v max=%v",
		us(l.Mean), us(l.P50), us(l.P90), us(l.P95), us(l.P99), us(l.P999), us(l.Max))
}

// Fprint writes a result as one line after a label, then one indented line
// for each replica that went down or left commands failed or unanswered.
func Fprint(w io.Writer, label string, r Result) {
	fmt.Fprintf(w, "%-40s %s\n", label, r)
	for _, rr := range r.Replicas {
		if rr.Trouble() {
			fmt.Fprintf(w, "  %s\n", rr)
		}
	}
}

// FprintDetail writes the latency of each target replica and each zone.
func FprintDetail(w io.Writer, r Result) {
	for _, rr := range r.Replicas {
		fmt.Fprintf(w, "  target %-6s ops=%d errors=%d %s\n", rr.ID, rr.Ops, rr.Errors, rr.Latency)
	}
	for _, z := range r.Zones {
		fmt.Fprintf(w, "  zone %-8s ops=%d errors=%d %s\n", z.Zone, z.Ops, z.Errors, z.Latency)
	}
}
