package sim

import (
	"fmt"
	"io"
	"math/bits"
	"slices"
	"strings"
	"time"

	"github.com/agora-consensus/agora/checker"
	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/stats"
)

// Result summarizes a run and the verdicts of its checks.
type Result struct {
	Protocol string
	Seed     int64
	Replicas []paxi.ID
	// End is the virtual time the run stopped at; Wall the real time spent
	// running events (checks excluded).
	End  time.Duration
	Wall time.Duration
	// Events is the number of events processed.
	Events uint64
	// Issued and Completed count client commands; Measured counts those
	// issued after the warm-up and answered before the load stopped, which
	// Throughput (per virtual second) is computed from.
	Issued, Completed, Measured uint64
	Throughput                  float64
	// Sites holds latency percentiles per zone of the clients' replicas,
	// and All over every client.
	Sites []SiteLatency
	All   SiteLatency
	// Network counters.
	Sent, Delivered, Dropped, Duplicated uint64
	// Held counts messages a HoldRule held back.
	Held uint64
	// Replicas' own counters, by replica.
	PerReplica []ReplicaStats
	// Faults lists the fault actions applied, with their times.
	Faults []string

	// Err is a failure of the run itself: a protocol panic, a codec error.
	Err error
	// Linearizability is the checker's verdict (nil if not checked).
	Linearizability *checker.Result
	// Execution lists execution-order violations.
	Execution        []string
	ExecutionChecked bool
	// Liveness lists commands not answered or not executed everywhere.
	Liveness        []string
	LivenessChecked bool
}

// SiteLatency is the latency distribution of the commands of one site.
type SiteLatency struct {
	Site                     string
	Count                    int
	Mean, P50, P90, P99, Max time.Duration
}

// ReplicaStats are one replica's counters.
type ReplicaStats struct {
	ID paxi.ID
	Up bool
	// Inputs fed to the protocol, in Batches; Executed commands (duplicates
	// skipped by the state machine counted apart); Persisted records.
	Inputs, Batches, Executed, Duplicates, Persisted uint64
	// Utilization is the CPU's busy fraction over the run.
	Utilization float64
	// Protocol holds what the protocol reports through paxi.Reporter.
	Protocol []paxi.Stat
}

// Failed reports whether the run failed or any check found a violation.
// An inconclusive linearizability check (time limit) is not a failure.
func (r *Result) Failed() bool { return len(r.Failures()) > 0 }

// Failures lists every failure in words.
func (r *Result) Failures() []string {
	var out []string
	if r.Err != nil {
		out = append(out, "run failed: "+r.Err.Error())
	}
	if l := r.Linearizability; l != nil && l.Verdict == checker.Illegal {
		var ops []string
		for _, o := range l.Ops {
			ops = append(ops, "  "+o.String())
		}
		out = append(out, fmt.Sprintf("history is not linearizable on key %q (%d keys illegal): %s\n%s",
			l.Key, len(l.IllegalKeys), l.Reason, strings.Join(ops, "\n")))
	}
	for _, v := range r.Execution {
		out = append(out, "execution order: "+v)
	}
	for _, v := range r.Liveness {
		out = append(out, "liveness: "+v)
	}
	return out
}

// Verdicts is a one-line summary of the checks.
func (r *Result) Verdicts() string {
	lin := "skipped"
	if r.Linearizability != nil {
		lin = r.Linearizability.Verdict.String()
	}
	exe, live := "skipped", "skipped"
	if r.ExecutionChecked {
		exe = verdict(len(r.Execution))
	}
	if r.LivenessChecked {
		live = verdict(len(r.Liveness))
	}
	run := "ok"
	if r.Err != nil {
		run = "error"
	}
	return fmt.Sprintf("run=%s linearizable=%s execution=%s liveness=%s", run, lin, exe, live)
}

func verdict(violations int) string {
	if violations == 0 {
		return "ok"
	}
	return fmt.Sprintf("%d violations", violations)
}

// Report writes a human-readable summary followed by every failure.
func (r *Result) Report(w io.Writer) {
	r.Summary(w)
	for _, f := range r.Failures() {
		fmt.Fprintf(w, "  FAIL %s\n", f)
	}
}

// Summary writes the figures and verdicts without the failures.
func (r *Result) Summary(w io.Writer) {
	fmt.Fprintf(w, "%s seed=%d replicas=%v virtual=%v wall=%v events=%d\n",
		r.Protocol, r.Seed, r.Replicas, r.End, r.Wall.Round(time.Millisecond), r.Events)
	fmt.Fprintf(w, "  commands: issued=%d completed=%d measured=%d throughput=%.1f/s\n",
		r.Issued, r.Completed, r.Measured, r.Throughput)
	fmt.Fprintf(w, "  messages: sent=%d delivered=%d dropped=%d duplicated=%d", r.Sent, r.Delivered, r.Dropped, r.Duplicated)
	if r.Held > 0 {
		fmt.Fprintf(w, " held=%d", r.Held)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  %-6s %8s %10s %10s %10s %10s %10s\n", "site", "count", "mean", "p50", "p90", "p99", "max")
	for _, s := range append(slices.Clone(r.Sites), r.All) {
		fmt.Fprintf(w, "  %-6s %8d %10v %10v %10v %10v %10v\n", s.Site, s.Count,
			s.Mean.Round(10*time.Microsecond), s.P50.Round(10*time.Microsecond), s.P90.Round(10*time.Microsecond),
			s.P99.Round(10*time.Microsecond), s.Max.Round(10*time.Microsecond))
	}
	for _, p := range r.PerReplica {
		fmt.Fprintf(w, "  %s up=%v inputs=%d batches=%d executed=%d duplicates=%d persisted=%d cpu=%.0f%%",
			p.ID, p.Up, p.Inputs, p.Batches, p.Executed, p.Duplicates, p.Persisted, 100*p.Utilization)
		for _, st := range p.Protocol {
			fmt.Fprintf(w, " %s=%g", st.Name, st.Value)
		}
		fmt.Fprintln(w)
	}
	if len(r.Faults) > 0 {
		fmt.Fprintf(w, "  faults: %d actions\n", len(r.Faults))
	}
	fmt.Fprintf(w, "  checks: %s\n", r.Verdicts())
}

// latencyStats collects the latency of measured commands per site.
type latencyStats struct {
	warmup, stop time.Duration
	zoneOf       []int // replica index -> site index
	sites        []string
	lat          [][]time.Duration
	measured     uint64
}

func (l *latencyStats) init(cfg Config, ids []paxi.ID) {
	l.warmup, l.stop = cfg.Warmup, cfg.Duration
	index := map[int]int{}
	for _, id := range ids {
		z := id.Zone()
		if _, ok := index[z]; !ok {
			index[z] = len(l.sites)
			l.sites = append(l.sites, cfg.Latency.Name(z))
		}
		l.zoneOf = append(l.zoneOf, index[z])
	}
	l.lat = make([][]time.Duration, len(l.sites))
}

func (l *latencyStats) record(c *client, now time.Duration) {
	if c.call < l.warmup || now > l.stop {
		return
	}
	l.measured++
	z := l.zoneOf[c.home]
	l.lat[z] = append(l.lat[z], now-c.call)
}

func summarize(site string, d []time.Duration) SiteLatency {
	s := SiteLatency{Site: site, Count: len(d)}
	if len(d) == 0 {
		return s
	}
	var sum time.Duration
	for _, x := range d {
		sum += x
		s.Max = max(s.Max, x)
	}
	s.Mean = sum / time.Duration(len(d))
	// Each percentile is the element a sort would put at its index. A run
	// has a few hundred thousand latencies, and selecting the three
	// (each among the elements below the previous one) takes a fraction
	// of the time of sorting them.
	idx := func(p float64) int { return stats.Rank(p, len(d)) } // the benchmark's definition too
	i99, i90, i50 := idx(0.99), idx(0.90), idx(0.50)
	selectKth(d, i99)
	selectKth(d[:i99+1], i90)
	selectKth(d[:i90+1], i50)
	s.P50, s.P90, s.P99 = d[i50], d[i90], d[i99]
	return s
}

// selectKth reorders d so that d[k] holds what it would after sorting d,
// with nothing larger before it and nothing smaller after it: quickselect
// with a median-of-three pivot, falling back to a sort if the pivots keep
// being poor.
func selectKth(d []time.Duration, k int) {
	lo, hi := 0, len(d)-1
	for budget := 2 * bits.Len(uint(len(d))); lo < hi; budget-- {
		if budget == 0 {
			slices.Sort(d[lo : hi+1])
			return
		}
		mid := lo + (hi-lo)/2
		if d[mid] < d[lo] {
			d[mid], d[lo] = d[lo], d[mid]
		}
		if d[hi] < d[lo] {
			d[hi], d[lo] = d[lo], d[hi]
		}
		if d[hi] < d[mid] {
			d[hi], d[mid] = d[mid], d[hi]
		}
		p := d[mid]
		i, j := lo, hi
		for i <= j {
			for d[i] < p {
				i++
			}
			for d[j] > p {
				j--
			}
			if i <= j {
				d[i], d[j] = d[j], d[i]
				i++
				j--
			}
		}
		// Now d[lo..j] <= p, d[i..hi] >= p, and everything between equals p.
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return
		}
	}
}

// result gathers the run's figures (checks are added by Check).
func (s *Sim) result() *Result {
	res := &Result{
		Protocol: s.cfg.Protocol, Seed: s.cfg.Seed, Replicas: s.IDs(), End: s.now, Wall: s.wall,
		Events: s.events, Issued: s.issued, Completed: s.completed, Measured: s.stats.measured,
		Sent: s.net.sent, Delivered: s.net.delivered, Dropped: s.net.dropped, Duplicated: s.net.duplicated, Held: s.net.held,
		Faults: slices.Clone(s.actions),
	}
	// Throughput is over the time the load actually ran.
	end := s.cfg.Duration
	if s.loadOn {
		end = min(end, s.now)
	} else if s.loadStop > 0 {
		end = min(end, s.loadStop)
	}
	if span := end - s.cfg.Warmup; span > 0 {
		res.Throughput = float64(s.stats.measured) / span.Seconds()
	}
	// summarize reorders what it is given, which leaves the recorded
	// latencies the same multiset: no copy of them is needed but the one
	// that gathers every site.
	n := 0
	for _, d := range s.stats.lat {
		n += len(d)
	}
	all := make([]time.Duration, 0, n)
	for i, site := range s.stats.sites {
		all = append(all, s.stats.lat[i]...)
		res.Sites = append(res.Sites, summarize(site, s.stats.lat[i]))
	}
	res.All = summarize("all", all)
	for _, r := range s.replicas {
		st := ReplicaStats{
			ID: r.id, Up: r.up, Inputs: r.inputs, Batches: r.batches, Executed: r.executed,
			Duplicates: r.duplicates, Persisted: r.persisted, Utilization: r.utilization(s.now),
		}
		if rep, ok := r.proto.(paxi.Reporter); ok && r.up {
			st.Protocol = rep.Stats()
		}
		res.PerReplica = append(res.PerReplica, st)
	}
	return res
}

// History returns the client history recorded so far.
func (s *Sim) History() []checker.Operation { return slices.Clone(s.hist) }

// Logs returns every execution log, one per replica incarnation.
func (s *Sim) Logs() []*ExecLog { return slices.Clone(s.logs) }

// Answered counts the client commands answered with a return time in
// [from, to): scenario tests use it to tell progress from blocking.
func (s *Sim) Answered(from, to time.Duration) int {
	n := 0
	for _, o := range s.hist {
		if o.Return >= int64(from) && o.Return < int64(to) {
			n++
		}
	}
	return n
}

// Protocol returns the protocol object of a running replica (nil if it is
// down), for white-box tests.
func (s *Sim) Protocol(id paxi.ID) paxi.Protocol {
	if r := s.replica(id); r != nil {
		return r.proto
	}
	return nil
}

// Durable returns the records replica id has persisted.
func (s *Sim) Durable(id paxi.ID) []paxi.Message {
	if r := s.replica(id); r != nil {
		return r.durable.all()
	}
	return nil
}

// KV returns the state machine of a running replica (nil if it is down).
func (s *Sim) KV(id paxi.ID) *paxi.KV {
	if r := s.replica(id); r != nil {
		return r.kv
	}
	return nil
}
