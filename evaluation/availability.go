package evaluation

import (
	"fmt"
	"io"
	"time"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/sim"
)

// Availability is the paper's availability figure: the five sites under
// load, one replica crashing in the middle of the run (CA's, which is
// Multi-Paxos's leader), and the commands answered in every 100 ms.
type Availability struct {
	Bucket   time.Duration      `json:"bucket"`
	CrashAt  time.Duration      `json:"crash_at"`
	Crashed  paxi.ID            `json:"crashed"`
	Timeline []AvailabilityLine `json:"timeline"`
	// RecoveryBound is the longest a protocol may take, after the crash,
	// to get back to RecoveryShare of the throughput the surviving sites'
	// clients had before it.
	RecoveryBound time.Duration `json:"recovery_bound"`
}

// RecoveryShare is the share of the pre-crash throughput of the surviving
// sites (4/5 of the whole: the crashed replica's clients are gone for
// good) that counts as recovered. It is not 1: after the crash some sites
// commit farther away (a new Multi-Paxos leader, EPaxos fast quorums
// without CA), so the closed-loop clients there are slower.
const RecoveryShare = 0.5

// target is the recovered throughput: RecoveryShare of the surviving
// sites' share of before.
func target(before float64) float64 { return RecoveryShare * before * 4 / 5 }

// AvailabilityLine is one protocol's throughput over time.
type AvailabilityLine struct {
	Protocol string `json:"protocol"`
	// PerSecond[i] is the throughput (commands a second) of the bucket
	// that starts at i*Bucket.
	PerSecond []float64 `json:"per_second"`
	// Before is the mean throughput between the warm-up and the crash.
	Before float64 `json:"before"`
	// Recovered is how long after the crash the throughput over three
	// buckets first reached the target (-1: never).
	Recovered time.Duration `json:"recovered"`
	// After is the mean throughput of the last second.
	After float64 `json:"after"`
}

// RunAvailability runs each protocol with replica 1.1 crashing at half the
// run. Clients resend after a second without an answer (a command a
// follower forwarded to the crashed leader is lost with it).
func RunAvailability(o Options) (*Availability, error) {
	d := max(o.Duration, 8*time.Second)
	f := &Availability{Bucket: 100 * time.Millisecond, CrashAt: d / 2, Crashed: "1.1", RecoveryBound: 3 * time.Second}
	for _, p := range []string{"epaxos", "multipaxos", "mencius"} {
		cfg := wanConfig(o, p, nil, sim.WAN(5), 0.02)
		cfg.Duration = d
		cfg.Workload.Timeout = time.Second
		cfg.Check.NoLinearizability = true
		cfg.Schedule = []sim.Action{{At: f.CrashAt, Crash: f.Crashed}}
		s, err := sim.New(cfg)
		if err != nil {
			return nil, err
		}
		line := AvailabilityLine{Protocol: p, Recovered: -1}
		s.Start()
		prev := uint64(0)
		for t := f.Bucket; t <= d; t += f.Bucket {
			if err := s.RunUntil(t); err != nil {
				return nil, fmt.Errorf("%s: %v", p, err)
			}
			n := s.Completed()
			line.PerSecond = append(line.PerSecond, float64(n-prev)/f.Bucket.Seconds())
			prev = n
		}
		s.StopLoad()
		s.Settle(s.Config().Check.Liveness)
		if res := s.Check(); res.Failed() {
			return nil, fmt.Errorf("%s seed %d: %s", p, cfg.Seed, res.Failures()[0])
		}
		line.summarize(f, o.warmup())
		f.Timeline = append(f.Timeline, line)
	}
	return f, nil
}

// summarize fills Before, Recovered and After from PerSecond.
func (l *AvailabilityLine) summarize(f *Availability, warmup time.Duration) {
	crash := int(f.CrashAt / f.Bucket)
	from := int(warmup / f.Bucket)
	l.Before = meanOf(l.PerSecond[from:crash])
	// A window of three buckets, so that one lucky bucket of a bursty
	// protocol does not count as recovery.
	const window = 3
	for i := crash; i+window <= len(l.PerSecond); i++ {
		if meanOf(l.PerSecond[i:i+window]) >= target(l.Before) {
			l.Recovered = time.Duration(i-crash) * f.Bucket
			break
		}
	}
	last := max(len(l.PerSecond)-int(time.Second/f.Bucket), crash)
	l.After = meanOf(l.PerSecond[last:])
}

func meanOf(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// PrintAvailability writes each protocol's throughput before and after
// the crash, the recovery time, and the timeline in half-second steps.
func PrintAvailability(w io.Writer, f *Availability) {
	fmt.Fprintf(w, "=== availability: 5 sites, 2%% conflicts, %s crashes at %v (Multi-Paxos's leader); throughput per %v\n", f.Crashed, f.CrashAt, f.Bucket)
	fmt.Fprintf(w, "%-12s %9s %9s %10s\n", "protocol", "before/s", "after/s", "recovered")
	for _, l := range f.Timeline {
		rec := "never"
		if l.Recovered >= 0 {
			rec = l.Recovered.String()
		}
		fmt.Fprintf(w, "%-12s %9.0f %9.0f %10s\n", l.Protocol, l.Before, l.After, rec)
	}
	step := int(500 * time.Millisecond / f.Bucket)
	fmt.Fprintf(w, "%-12s", "time (s)")
	for i := 0; i < len(f.Timeline[0].PerSecond); i += step {
		fmt.Fprintf(w, " %5.1f", (time.Duration(i) * f.Bucket).Seconds())
	}
	fmt.Fprintln(w)
	for _, l := range f.Timeline {
		fmt.Fprintf(w, "%-12s", l.Protocol)
		for i := 0; i < len(l.PerSecond); i += step {
			fmt.Fprintf(w, " %5.0f", l.PerSecond[i])
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "(recovered: first time after the crash that three %v buckets average at least %.0f%% of the surviving sites' throughput before it)\n", f.Bucket, 100*RecoveryShare)
	for _, l := range f.Timeline {
		if !l.Sustained() {
			fmt.Fprintf(w, "NOTE %s does not sustain it: %.0f/s in the last second, below %.0f/s\n", l.Protocol, l.After, target(l.Before))
		}
	}
	fmt.Fprintln(w)
}

// checkAvailability: every protocol's throughput recovers within the
// bound. Whether it stays there is printed, not checked: Mencius today
// does not (see docs/EVALUATION.md).
func checkAvailability(r *Report, f *Availability) {
	for _, l := range f.Timeline {
		ok := l.Recovered >= 0 && l.Recovered <= f.RecoveryBound
		r.check("availability: "+l.Protocol+" recovers", ok,
			"%s back to %.0f/s after %v (bound %v); %.0f/s before the crash, %.0f/s in the last second", l.Protocol, target(l.Before), l.Recovered, f.RecoveryBound, l.Before, l.After)
	}
}

// Sustained reports whether the last second's throughput is at least the
// recovery target.
func (l AvailabilityLine) Sustained() bool { return l.After >= target(l.Before) }
