// Package chaos is the real-process crash test: it starts bin/server
// replicas on loopback, drives a closed-loop read/write load on a few hot
// keys while SIGKILLing and restarting one replica at a time on a seeded
// schedule, and reports whether the history was linearizable, whether an
// acknowledged write was lost, and how throughput held up over time (the
// availability figure of the EPaxos paper). bin/chaos is its command line.
package chaos

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/agora-consensus/agora/benchmark"
	"github.com/agora-consensus/agora/checker"
	"github.com/agora-consensus/agora/paxi"
)

// Options configures one run of one protocol.
type Options struct {
	Server   string // bin/server binary
	Protocol string
	N        int
	Fsync    bool
	Duration time.Duration
	KillMin  time.Duration
	KillMax  time.Duration
	DownMin  time.Duration
	DownMax  time.Duration
	Seed     int64
	Load     Load
	// Settle is how long the cluster runs without load or faults before
	// the final reads, so that a restarted replica can catch up.
	Settle       time.Duration
	CheckTimeout time.Duration // bound on the linearizability check
	Dir          string        // run directory: config, replica logs, storage
	KeepState    bool          // keep the storage directories after the run
	Log          io.Writer     // progress lines
}

// Event is a kill or restart as it happened.
type Event struct {
	Kind string        `json:"kind"` // "kill" or "restart"
	ID   paxi.ID       `json:"id"`
	At   time.Duration `json:"at_ns"` // from the start of the load
	Err  string        `json:"error,omitempty"`
}

// Outcome is everything one run measured.
type Outcome struct {
	Protocol      string       `json:"protocol"`
	Plan          []Fault      `json:"plan"`
	Events        []Event      `json:"events"`
	Ops           int          `json:"ops"`          // operations in the history, final reads included
	Acknowledged  int          `json:"acknowledged"` // load operations answered within the run
	Pending       int          `json:"pending"`      // operations left without an answer
	Failovers     int64        `json:"failovers"`
	Availability  Availability `json:"availability"`
	Linearizable  string       `json:"linearizable"` // the checker's verdict: ok, illegal or unknown
	Violation     string       `json:"violation,omitempty"`
	CheckTime     string       `json:"check_time"`
	FinalReads    []FinalRead  `json:"final_reads"`
	FinalProblems []string     `json:"final_problems,omitempty"` // unanswered or disagreeing final reads
	LostWrites    []string     `json:"lost_writes,omitempty"`
	Crashed       []string     `json:"crashed,omitempty"` // replicas that died without being killed
	PIDs          []int        `json:"pids"`              // every replica process started
	Throughput    bool         `json:"throughput_ok"`     // worst second after the first kill >= half the median
	Pass          bool         `json:"pass"`
	Err           string       `json:"error,omitempty"`

	History []checker.Operation `json:"-"`
}

// Run runs one protocol. A canceled ctx (Ctrl-C) stops the load and the
// schedule early; every replica it started is stopped before it returns,
// whatever happened.
func Run(ctx context.Context, o Options) (out Outcome) {
	out.Protocol = o.Protocol
	logf := func(format string, args ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, "%s %s: %s\n", time.Now().UTC().Format("15:04:05.000"), o.Protocol, fmt.Sprintf(format, args...))
		}
	}
	procs, err := benchmark.StartProcesses(o.Server, o.Protocol, o.N, o.Dir, o.Fsync)
	if err != nil {
		out.Err = err.Error()
		return out
	}
	defer func() {
		if err := procs.Close(); err != nil && out.Err == "" {
			out.Err = err.Error()
		}
		out.PIDs = procs.AllPIDs()
		if !o.KeepState {
			os.RemoveAll(filepath.Join(o.Dir, "state"))
		}
	}()
	ids := procs.Config.IDs()
	var addrs []string
	for _, id := range ids {
		r, _ := procs.Config.Replica(id)
		addrs = append(addrs, r.Client)
	}
	out.Plan = Plan(o.Seed, ids, o.Duration, o.KillMin, o.KillMax, o.DownMin, o.DownMax)
	rec := checker.NewRecorder()
	var st loadStats
	stop := make(chan struct{})
	origin := time.Now()
	loadDone := make(chan struct{})
	go func() {
		runLoad(ctx, stop, addrs, o.Load, o.Protocol, rec, origin, &st)
		close(loadDone)
	}()
	logf("load started: %d clients, %d keys, %.0f%% writes, %d faults planned over %v", o.Load.Clients, o.Load.Keys, 100*o.Load.Writes, len(out.Plan), o.Duration)
	out.Events = runSchedule(ctx, procs, out.Plan, origin, o.Duration, logf)
	close(stop)
	<-loadDone
	for id, state := range procs.Exited() {
		out.Crashed = append(out.Crashed, fmt.Sprintf("%s: %s", id, state))
	}
	if ctx.Err() != nil {
		out.Err = "interrupted"
		return out
	}
	// Every replica is up again; let the cluster settle, then read every
	// key everywhere as part of the history.
	select {
	case <-time.After(o.Settle):
	case <-ctx.Done():
		out.Err = "interrupted"
		return out
	}
	out.FinalReads = finalReads(ctx, ids, addrs, o.Load.Keys, max(o.Load.OpTimeout, 5*time.Second), rec, origin)
	out.History = rec.Operations()
	out.Ops = len(out.History)
	for _, op := range out.History {
		if op.Pending() {
			out.Pending++
		} else if op.Client < 1000 && op.Return < int64(o.Duration) {
			out.Acknowledged++
		}
	}
	out.Failovers = st.failover.Load()
	firstKill := time.Duration(0)
	for _, e := range out.Events {
		if e.Kind == "kill" {
			firstKill = e.At
			break
		}
	}
	out.Availability = Measure(out.History, o.Duration, firstKill)
	out.Throughput = out.Availability.Fraction >= 0.5
	final := map[string]string{}
	out.FinalProblems = agree(out.FinalReads, final)
	for _, w := range LostWrites(out.History, final) {
		out.LostWrites = append(out.LostWrites, w.String())
	}
	logf("load stopped: %d operations, %d pending; checking linearizability", out.Ops, out.Pending)
	t0 := time.Now()
	res := checker.CheckLinearizable(out.History, checker.Options{Timeout: o.CheckTimeout})
	out.CheckTime = time.Since(t0).Round(time.Millisecond).String()
	out.Linearizable = res.Verdict.String()
	if res.Verdict != checker.Ok {
		out.Violation = res.String()
	}
	out.Pass = out.Err == "" && out.Throughput && res.Verdict == checker.Ok &&
		len(out.LostWrites) == 0 && len(out.FinalProblems) == 0 && len(out.Crashed) == 0
	return out
}

// agree fills final with the value every replica read for each key, and
// returns the keys where a replica did not answer or replicas disagree.
func agree(reads []FinalRead, final map[string]string) []string {
	var problems []string
	seen := map[string]bool{}
	for _, r := range reads {
		switch {
		case r.Err != "":
			problems = append(problems, fmt.Sprintf("%s on %s: %s", r.Key, r.Replica, r.Err))
		case !seen[r.Key]:
			seen[r.Key], final[r.Key] = true, r.Value
		case final[r.Key] != r.Value:
			problems = append(problems, fmt.Sprintf("%s: %s reads %q, another replica %q", r.Key, r.Replica, r.Value, final[r.Key]))
		}
	}
	return problems
}

// runSchedule carries out plan (times from origin) and returns what
// happened. It ends at origin+duration, or early if ctx is canceled, with
// every replica running again unless ctx was canceled.
func runSchedule(ctx context.Context, procs *benchmark.Processes, plan []Fault, origin time.Time, duration time.Duration,
	logf func(string, ...any)) []Event {
	type step struct {
		at      time.Duration
		id      paxi.ID
		restart bool
	}
	var steps []step
	for _, f := range plan {
		steps = append(steps, step{f.Kill, f.ID, false}, step{f.Restart, f.ID, true})
	}
	var events []Event
	wait := func(at time.Duration) bool {
		select {
		case <-time.After(time.Until(origin.Add(at))):
			return true
		case <-ctx.Done():
			return false
		}
	}
	for _, s := range steps {
		if !wait(s.at) {
			return events
		}
		e := Event{Kind: "kill", ID: s.id}
		var err error
		if s.restart {
			e.Kind = "restart"
			err = procs.Start(s.id)
		} else {
			err = procs.Kill(s.id)
		}
		e.At = time.Since(origin)
		if err != nil {
			e.Err = err.Error()
		}
		logf("%s %s at %.1fs", e.Kind, e.ID, e.At.Seconds())
		events = append(events, e)
	}
	wait(duration)
	return events
}
