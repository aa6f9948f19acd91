package benchmark

import (
	"context"
	"fmt"
	"io"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/client"
	"gonum.org/v1/gonum/stat"
)

// Result is what one run measured.
type Result struct {
	Ops        int           // commands completed inside the measured window
	Errors     int           // commands answered with an error in the window
	Failed     int           // commands whose connection broke before the reply, at any time in the run
	Unanswered int           // commands still without a reply 10s after the load stopped
	Elapsed    time.Duration // length of the measured window
	Throughput float64       // Ops per second
	Mean       time.Duration
	P50        time.Duration
	P90        time.Duration
	P99        time.Duration
	Max        time.Duration
	// Replicas has one entry per target replica, in id order.
	Replicas []ReplicaResult
}

// ReplicaResult is the share of one target replica: what its clients
// measured, and why they stopped if they did.
type ReplicaResult struct {
	ID         paxi.ID
	Ops        int
	Errors     int
	Failed     int
	Unanswered int
	// Down says why this replica's clients stopped before the end: it
	// refused connections at the start, or a connection broke (with when).
	Down string `json:",omitempty"`
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
	return fmt.Sprintf("ops=%d errors=%d failed=%d unanswered=%d elapsed=%v throughput=%.0f/s latency mean=%v p50=%v p90=%v p99=%v max=%v",
		r.Ops, r.Errors, r.Failed, r.Unanswered, r.Elapsed.Round(time.Millisecond), r.Throughput,
		r.Mean.Round(time.Microsecond), r.P50.Round(time.Microsecond), r.P90.Round(time.Microsecond),
		r.P99.Round(time.Microsecond), r.Max.Round(time.Microsecond))
}

// Run drives the replicas at addrs (client addresses, by replica id) with
// the workload and returns what it measured. It stops by itself after
// warm-up plus duration. A replica that refuses its connections at the
// start, or whose connection breaks, is counted in Result.Replicas and the
// others go on; Run fails only if no target can be reached.
func Run(ctx context.Context, w Workload, addrs map[paxi.ID]string) (Result, error) {
	if err := w.Validate(); err != nil {
		return Result{}, err
	}
	targets := w.Targets
	if len(targets) == 0 {
		for id := range addrs {
			targets = append(targets, id)
		}
		paxi.SortIDs(targets)
	}
	var (
		clients  []*client.Client
		clientOf []*target // the target of each client
		tgts     = make([]*target, len(targets))
		lastErr  error
	)
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	for k, id := range targets {
		addr, ok := addrs[id]
		if !ok {
			return Result{}, fmt.Errorf("workload: target %s has no client address", id)
		}
		tgts[k] = &target{id: id}
		for i := 0; i < w.Clients; i++ {
			c, err := client.Dial(addr)
			if err != nil {
				tgts[k].lost("unreachable at start: " + err.Error())
				lastErr = err
				break
			}
			clients = append(clients, c)
			clientOf = append(clientOf, tgts[k])
		}
	}
	if len(clients) == 0 {
		return Result{Replicas: replicaResults(tgts, nil, nil)}, fmt.Errorf("no target replica reachable: %w", lastErr)
	}
	start := time.Now()
	measureFrom := start.Add(w.Warmup.D())
	stopAt := measureFrom.Add(w.Duration.D())
	var (
		stopped  atomic.Bool
		inFlight atomic.Int64
		wg       sync.WaitGroup
	)
	recs := make([]recorder, len(clients))
	for i, c := range clients {
		g := newGenerator(w, i+1, keyNames(w))
		rec := &recs[i]
		tgt := clientOf[i]
		var gmu sync.Mutex // replies may arrive while the first window is still being issued
		// issue sends the next command; sent is now, taken by the caller
		// (a reply's arrival time serves as its successor's send time, which
		// spares a clock read per command).
		var issue func(sent time.Time)
		issue = func(sent time.Time) {
			if stopped.Load() || ctx.Err() != nil {
				wg.Done()
				return
			}
			inFlight.Add(1)
			tgt.inFlight.Add(1)
			gmu.Lock()
			cmd := g.next()
			gmu.Unlock()
			c.Async(cmd, func(r paxi.Reply, err error) {
				inFlight.Add(-1)
				tgt.inFlight.Add(-1)
				now := time.Now()
				if err != nil {
					// The connection broke: this client stops, the
					// command is counted, and the others go on.
					tgt.failed.Add(1)
					tgt.lost(fmt.Sprintf("lost after %v: %v", now.Sub(start).Round(time.Millisecond), err))
					wg.Done()
					return
				}
				if now.After(measureFrom) && !now.After(stopAt) && sent.After(measureFrom) {
					rec.add(r.Err != "", now.Sub(sent))
				}
				issue(now)
			})
		}
		for k := 0; k < w.Outstanding; k++ {
			wg.Add(1)
			issue(time.Now())
		}
	}
	select {
	case <-time.After(time.Until(stopAt)):
	case <-ctx.Done():
	}
	stopped.Store(true)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(drainTimeout):
	}
	var latencies []float64
	errs := 0
	for i := range recs {
		latencies, errs = recs[i].appendTo(latencies, errs)
	}
	r := summarize(latencies, errs, w.Duration.D())
	r.Unanswered = int(inFlight.Load())
	r.Replicas = replicaResults(tgts, clientOf, recs)
	for _, rr := range r.Replicas {
		r.Failed += rr.Failed
	}
	return r, ctx.Err()
}

// drainTimeout is how long Run waits, after the load stopped, for the
// commands in flight; those still unanswered then are counted as such.
var drainTimeout = 10 * time.Second

// target is the client side of one target replica.
type target struct {
	id       paxi.ID
	failed   atomic.Int64 // commands whose connection broke
	inFlight atomic.Int64
	mu       sync.Mutex
	down     string // the first reason its clients stopped
}

func (t *target) lost(why string) {
	t.mu.Lock()
	if t.down == "" {
		t.down = why
	}
	t.mu.Unlock()
}

// replicaResults adds up each target's clients.
func replicaResults(tgts []*target, clientOf []*target, recs []recorder) []ReplicaResult {
	out := make([]ReplicaResult, len(tgts))
	index := map[*target]int{}
	for k, t := range tgts {
		index[t] = k
		t.mu.Lock()
		out[k] = ReplicaResult{ID: t.id, Failed: int(t.failed.Load()), Unanswered: int(t.inFlight.Load()), Down: t.down}
		t.mu.Unlock()
	}
	for i := range recs {
		ops, errs := recs[i].counts()
		rr := &out[index[clientOf[i]]]
		rr.Ops += ops
		rr.Errors += errs
	}
	return out
}

// recorder keeps one client's latencies in fixed-size chunks: one growing
// slice of millions of samples cost the load generator a tenth of its CPU
// in copying and returning memory to the kernel.
type recorder struct {
	mu     sync.Mutex
	chunks [][]float64
	errs   int
}

const recorderChunk = 1 << 14

func (r *recorder) add(failed bool, d time.Duration) {
	r.mu.Lock()
	if failed {
		r.errs++
	} else {
		n := len(r.chunks)
		if n == 0 || len(r.chunks[n-1]) == recorderChunk {
			r.chunks = append(r.chunks, make([]float64, 0, recorderChunk))
			n++
		}
		r.chunks[n-1] = append(r.chunks[n-1], float64(d))
	}
	r.mu.Unlock()
}

// counts returns how many commands were recorded, and how many of them
// were answered with an error.
func (r *recorder) counts() (ops, errs int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.chunks {
		ops += len(c)
	}
	return ops, r.errs
}

// appendTo adds the recorded latencies to lat and the errors to errs.
func (r *recorder) appendTo(lat []float64, errs int) ([]float64, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.chunks {
		lat = append(lat, c...)
	}
	return lat, errs + r.errs
}

func summarize(lat []float64, errs int, window time.Duration) Result {
	r := Result{Ops: len(lat), Errors: errs, Elapsed: window}
	if len(lat) == 0 {
		return r
	}
	sort.Float64s(lat)
	r.Throughput = float64(len(lat)) / window.Seconds()
	r.Mean = time.Duration(stat.Mean(lat, nil))
	r.P50 = time.Duration(stat.Quantile(0.5, stat.Empirical, lat, nil))
	r.P90 = time.Duration(stat.Quantile(0.9, stat.Empirical, lat, nil))
	r.P99 = time.Duration(stat.Quantile(0.99, stat.Empirical, lat, nil))
	r.Max = time.Duration(lat[len(lat)-1])
	return r
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
