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
	Unanswered int           // commands still without a reply 10s after the load stopped
	Elapsed    time.Duration // length of the measured window
	Throughput float64       // Ops per second
	Mean       time.Duration
	P50        time.Duration
	P90        time.Duration
	P99        time.Duration
	Max        time.Duration
}

func (r Result) String() string {
	return fmt.Sprintf("ops=%d errors=%d unanswered=%d elapsed=%v throughput=%.0f/s latency mean=%v p50=%v p90=%v p99=%v max=%v",
		r.Ops, r.Errors, r.Unanswered, r.Elapsed.Round(time.Millisecond), r.Throughput,
		r.Mean.Round(time.Microsecond), r.P50.Round(time.Microsecond), r.P90.Round(time.Microsecond),
		r.P99.Round(time.Microsecond), r.Max.Round(time.Microsecond))
}

// Run drives the replicas at addrs (client addresses, by replica id) with
// the workload and returns what it measured. It stops by itself after
// warm-up plus duration.
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
	var clients []*client.Client
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	for _, id := range targets {
		addr, ok := addrs[id]
		if !ok {
			return Result{}, fmt.Errorf("workload: target %s has no client address", id)
		}
		for i := 0; i < w.Clients; i++ {
			c, err := client.Dial(addr)
			if err != nil {
				return Result{}, err
			}
			clients = append(clients, c)
		}
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
		g := newGenerator(w, i+1)
		rec := &recs[i]
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
			gmu.Lock()
			cmd := g.next()
			gmu.Unlock()
			c.Async(cmd, func(r paxi.Reply, err error) {
				inFlight.Add(-1)
				now := time.Now()
				if err != nil {
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
	case <-time.After(10 * time.Second):
	}
	var latencies []float64
	errs := 0
	for i := range recs {
		latencies, errs = recs[i].appendTo(latencies, errs)
	}
	r := summarize(latencies, errs, w.Duration.D())
	r.Unanswered = int(inFlight.Load())
	return r, ctx.Err()
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

// Fprint writes a result as one line after a label.
func Fprint(w io.Writer, label string, r Result) { fmt.Fprintf(w, "%-40s %s\n", label, r) }
