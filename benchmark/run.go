package benchmark

import (
	"context"
	"fmt"
	"io"
	"math/rand"
	"sync"
	"sync/atomic"
	"time"

	"github.com/agora-consensus/agora/checker"
	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/client"
	"github.com/agora-consensus/agora/stats"
)

// Options is what a run does besides the workload.
type Options struct {
	// Progress gets one line per second; nil prints none.
	Progress io.Writer
	// History records every command of the run, warm-up included, in
	// Result.History (unanswered and failed ones pending). Workload.Check
	// turns it on too.
	History bool
	// Window, if set, is called when the measured window opens (true) and
	// closes (false): where to read the servers' counters.
	Window func(open bool)
}

// Run drives the replicas at addrs (client addresses, by replica id) with
// the workload and returns what it measured. It stops by itself after
// warm-up plus duration (or Requests). A replica that refuses its
// connections at the start, or whose connection breaks, is counted in
// Result.Replicas and the others go on; Run fails only if no target can be
// reached.
func Run(ctx context.Context, w Workload, addrs map[paxi.ID]string) (Result, error) {
	return RunWith(ctx, w, addrs, Options{})
}

// RunWith is Run with options.
func RunWith(ctx context.Context, w Workload, addrs map[paxi.ID]string, o Options) (Result, error) {
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
	tgts := map[paxi.ID]*target{}
	var order []*target
	for _, id := range targets {
		if _, ok := addrs[id]; !ok {
			return Result{}, fmt.Errorf("workload: target %s has no client address", id)
		}
		t := &target{id: id}
		tgts[id] = t
		order = append(order, t)
	}
	places, err := placeClients(w, targets)
	if err != nil {
		return Result{}, err
	}
	r := &runner{w: w, o: o, history: o.History || w.Check, stop: make(chan struct{})}
	defer func() {
		for _, c := range r.conns {
			c.c.Close()
		}
	}()
	var lastErr error
	names := keyNames(w)
	for i, p := range places {
		t := tgts[p.target]
		if t.unreachable {
			continue
		}
		c, err := client.Dial(addrs[p.target])
		if err != nil {
			t.unreachable = true
			t.lost("unreachable at start: " + err.Error())
			lastErr = err
			continue
		}
		r.conns = append(r.conns, &conn{r: r, c: c, tgt: t, zone: p.zone, num: i + 1, gen: newGenerator(w, i+1, names)})
	}
	if len(r.conns) == 0 {
		return Result{Replicas: r.replicaResults(order)}, fmt.Errorf("no target replica reachable: %w", lastErr)
	}
	return r.run(ctx, order), ctx.Err()
}

// place is where one connection sits and where it sends.
type place struct {
	target paxi.ID
	zone   string
}

// placeClients lays out the connections: Clients per target, or
// Concurrency round-robin, or ClientsPerZone by TargetPolicy.
func placeClients(w Workload, targets []paxi.ID) ([]place, error) {
	var out []place
	zoneOf := func(id paxi.ID) string { return fmt.Sprint(id.Zone()) }
	leader := w.Leader
	if leader == "" {
		leader = targets[0]
	}
	if w.TargetPolicy == "leader" && !containsID(targets, leader) {
		return nil, fmt.Errorf("workload: leader %s is not a target", leader)
	}
	if len(w.ClientsPerZone) == 0 {
		n := w.Clients * len(targets)
		if w.Concurrency > 0 {
			n = w.Concurrency
		}
		for i := 0; i < n; i++ {
			id := targets[i%len(targets)]
			if w.Concurrency == 0 {
				id = targets[i/w.Clients]
			}
			if w.TargetPolicy == "leader" {
				id = leader
			}
			out = append(out, place{id, zoneOf(id)})
		}
		return out, nil
	}
	rng := rand.New(rand.NewSource(w.Seed))
	var zones []int
	for z := range w.ClientsPerZone {
		var n int
		fmt.Sscanf(z, "%d", &n)
		zones = append(zones, n)
	}
	sortInts(zones)
	for _, z := range zones {
		n := w.ClientsPerZone[fmt.Sprint(z)]
		var local []paxi.ID
		best := -1
		for _, id := range targets {
			if d := abs(id.Zone() - z); best < 0 || d < best {
				best = d
			}
		}
		for _, id := range targets {
			if abs(id.Zone()-z) == best {
				local = append(local, id)
			}
		}
		for i := 0; i < n; i++ {
			var id paxi.ID
			switch w.TargetPolicy {
			case "", "local":
				if best != 0 {
					return nil, fmt.Errorf("workload: no target replica in zone %d for its local clients (target_policy nearest sends them to the closest zone)", z)
				}
				id = local[i%len(local)]
			case "nearest":
				id = local[i%len(local)]
			case "random":
				id = targets[rng.Intn(len(targets))]
			case "leader":
				id = leader
			}
			out = append(out, place{id, fmt.Sprint(z)})
		}
	}
	return out, nil
}

func containsID(ids []paxi.ID, id paxi.ID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func abs(x int) int { return max(x, -x) }

func sortInts(xs []int) {
	for i := 1; i < len(xs); i++ {
		for j := i; j > 0 && xs[j] < xs[j-1]; j-- {
			xs[j], xs[j-1] = xs[j-1], xs[j]
		}
	}
}

// drainTimeout is how long Run waits, after the load stopped, for the
// commands in flight; those still unanswered then are counted as such.
var drainTimeout = 10 * time.Second

// target is the client side of one target replica.
type target struct {
	id          paxi.ID
	unreachable bool
	mu          sync.Mutex
	down        string // the first reason its clients stopped
}

func (t *target) lost(why string) {
	t.mu.Lock()
	if t.down == "" {
		t.down = why
	}
	t.mu.Unlock()
}

// conn is one connection and what it measured. It is the Handler of its
// commands' replies: no closure, clock read or shared atomic per command.
type conn struct {
	r      *runner
	c      *client.Client
	tgt    *target
	zone   string
	num    int // client number in the history, from 1
	gen    *generator
	broken atomic.Bool

	mu       sync.Mutex
	inFlight int              // issued and not answered (or thinking)
	failed   int              // commands whose connection broke
	hist     *stats.Histogram // measured latencies
	sec      *stats.Histogram // this second's, warm-up included
	errs     int              // measured commands answered with an error
	secErrs  int
	per100   []int
	ops      []checker.Operation // the history, when recorded
}

// runner is one run's shared state.
type runner struct {
	w       Workload
	o       Options
	history bool
	conns   []*conn

	start, measureFrom, stopAt time.Time
	stopped                    atomic.Bool
	stop                       chan struct{} // closed when the load stops
	stopOnce                   sync.Once
	measuredSent               atomic.Int64
}

func (r *runner) halt() { r.stopOnce.Do(func() { r.stopped.Store(true); close(r.stop) }) }

func (r *runner) run(ctx context.Context, order []*target) Result {
	w := r.w
	r.start = time.Now()
	r.measureFrom = r.start.Add(w.Warmup.D())
	r.stopAt = r.measureFrom.Add(w.Duration.D())
	buckets := int((w.Duration.D() + 100*time.Millisecond - 1) / (100 * time.Millisecond))
	for _, c := range r.conns {
		c.hist, c.sec, c.per100 = stats.NewHistogram(), stats.NewHistogram(), make([]int, buckets)
	}
	var senders sync.WaitGroup
	if w.OpenLoop() {
		rate := w.Rate / float64(len(r.conns))
		for i, c := range r.conns {
			senders.Add(1)
			go func() { defer senders.Done(); r.sendOpen(c, rate, rand.New(rand.NewSource(w.Seed*104729+int64(i)))) }()
		}
	} else {
		for _, c := range r.conns {
			for k := 0; k < w.Outstanding; k++ {
				c.mu.Lock()
				c.inFlight++
				c.mu.Unlock()
				c.issue(time.Now())
			}
		}
	}
	var progress sync.WaitGroup
	var seconds []Second
	progress.Add(1)
	go func() { defer progress.Done(); seconds = r.progress() }()
	var cpu0 atomic.Int64
	go func() {
		select {
		case <-time.After(time.Until(r.measureFrom)):
			if r.o.Window != nil {
				r.o.Window(true)
			}
			cpu0.Store(int64(processCPU()))
		case <-r.stop:
		}
	}()
	select {
	case <-time.After(time.Until(r.stopAt)):
	case <-r.stop:
	case <-ctx.Done():
	}
	end := time.Now()
	r.halt()
	clientCPU := processCPU() - time.Duration(cpu0.Load())
	if r.o.Window != nil && !end.Before(r.measureFrom) {
		r.o.Window(false)
	}
	senders.Wait()
	// Wait for the commands in flight (polling: the end of a run is no
	// hot path, and a shared counter per command was).
	for deadline := time.Now().Add(drainTimeout); r.inFlight() > 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	progress.Wait()
	res := r.result(order)
	res.Elapsed = min(max(end.Sub(r.measureFrom), 0), w.Duration.D())
	if res.Elapsed > 0 {
		res.Throughput = float64(res.Ops) / res.Elapsed.Seconds()
	}
	res.Seconds = seconds
	if cpu0.Load() > 0 {
		res.ClientCPU = clientCPU
	}
	return res
}

// sendOpen issues c's share of an open-loop load: arrivals at rate per
// second, with exponential (poisson) or equal (fixed) gaps, each stamped
// with its intended time, whatever the replica's pace.
func (r *runner) sendOpen(c *conn, rate float64, rng *rand.Rand) {
	next := r.start
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for !c.broken.Load() {
		gap := 1 / rate
		if r.w.Arrival != "fixed" {
			gap = rng.ExpFloat64() / rate
		}
		next = next.Add(time.Duration(gap * float64(time.Second)))
		if !next.Before(r.stopAt) {
			return
		}
		if d := time.Until(next); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-r.stop:
				return
			}
		}
		if r.stopped.Load() {
			return
		}
		c.mu.Lock()
		c.inFlight++
		c.mu.Unlock()
		c.issue(next)
	}
}

// inFlight counts the commands issued and not answered.
func (r *runner) inFlight() int {
	n := 0
	for _, c := range r.conns {
		c.mu.Lock()
		n += c.inFlight
		c.mu.Unlock()
	}
	return n
}

// issue sends c's next command, already counted in c.inFlight. intended
// is when it should go: now in closed loop (a reply's frame time serves
// as its successor's, which spares a clock read per command), its
// scheduled time in open loop. The history's call time is intended too:
// no later than the real send, so the interval holds the real one.
func (c *conn) issue(intended time.Time) {
	c.mu.Lock()
	cmd, tag, ok := c.nextLocked(intended)
	c.mu.Unlock()
	if ok {
		c.c.AsyncTo(cmd, c, tag)
	}
}

// nextLocked picks the next command and records its call; false (and
// the in-flight count given back) when Requests are all issued. The tag
// is the command's intended time in ns from the start, or with a history
// its operation's index (whose call time is the intended time): ids and
// indexes need not come in the same order when two goroutines issue.
func (c *conn) nextLocked(intended time.Time) (paxi.Command, int64, bool) {
	r := c.r
	if r.w.Requests > 0 && !intended.Before(r.measureFrom) && r.measuredSent.Add(1) > int64(r.w.Requests) {
		c.inFlight--
		go r.halt()
		return paxi.Command{}, 0, false
	}
	cmd := c.gen.next()
	tag := int64(intended.Sub(r.start))
	if r.history {
		op := checker.Operation{Client: c.num, Op: "get", Key: cmd.Key, Call: tag, Return: -1}
		if cmd.Op == paxi.Put {
			op.Op, op.Value = "put", cmd.Value
		}
		tag = int64(len(c.ops))
		c.ops = append(c.ops, op)
	}
	return cmd, tag, true
}

// HandleReply records a reply and, in closed loop, sends the next command.
func (c *conn) HandleReply(tag int64, rep paxi.Reply, now time.Time, err error) {
	r := c.r
	if err != nil {
		// The connection broke: this client stops, the command is
		// counted (and pending in the history), the others go on.
		c.broken.Store(true)
		c.tgt.lost(fmt.Sprintf("lost after %v: %v", now.Sub(r.start).Round(time.Millisecond), err))
		c.mu.Lock()
		c.inFlight--
		c.failed++
		c.mu.Unlock()
		return
	}
	failed := rep.Err != ""
	c.mu.Lock()
	call := tag
	if r.history {
		call = c.ops[tag].Call
	}
	intended := r.start.Add(time.Duration(call))
	lat := now.Sub(intended)
	measured := !intended.Before(r.measureFrom) && intended.Before(r.stopAt)
	c.inFlight--
	c.sec.Record(lat)
	if failed {
		c.secErrs++
	}
	if measured {
		if failed {
			c.errs++
		} else {
			c.hist.Record(lat)
			c.per100[min(max(int(now.Sub(r.measureFrom)/(100*time.Millisecond)), 0), len(c.per100)-1)]++
		}
	}
	// A refused command stays pending: whether it took effect is not
	// known from an error reply alone.
	if r.history && !failed {
		c.ops[tag].Return = now.Sub(r.start).Nanoseconds()
		if c.ops[tag].Op == "get" {
			c.ops[tag].Value = rep.Value
		}
	}
	if r.w.OpenLoop() || r.stopped.Load() {
		c.mu.Unlock()
		return
	}
	c.inFlight++
	if think := r.w.ThinkTime.D(); think > 0 {
		c.mu.Unlock()
		time.AfterFunc(think, func() {
			if r.stopped.Load() {
				c.mu.Lock()
				c.inFlight--
				c.mu.Unlock()
				return
			}
			c.issue(time.Now())
		})
		return
	}
	cmd, next, ok := c.nextLocked(now)
	c.mu.Unlock()
	if ok {
		c.c.AsyncTo(cmd, c, next)
	}
}

// progress gathers each second's figures until the load stops, printing
// a line for each if asked.
func (r *runner) progress() []Second {
	var out []Second
	agg := stats.NewHistogram()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for s := 1; ; s++ {
		select {
		case <-tick.C:
		case <-r.stop:
			return out
		}
		agg.Reset()
		errs := 0
		for _, c := range r.conns {
			c.mu.Lock()
			agg.Merge(c.sec)
			c.sec.Reset()
			errs += c.secErrs
			c.secErrs = 0
			c.mu.Unlock()
		}
		sec := Second{Second: s, Warmup: time.Since(r.measureFrom) < time.Second, Ops: agg.Count(), Errors: errs,
			InFlight: r.inFlight(), P50: agg.Percentile(0.5), P99: agg.Percentile(0.99)}
		out = append(out, sec)
		if r.o.Progress != nil {
			fmt.Fprintln(r.o.Progress, sec)
		}
	}
}

// result adds up the connections.
func (r *runner) result(order []*target) Result {
	res := Result{Hist: stats.NewHistogram(), Replicas: r.replicaResults(order), Unanswered: r.inFlight()}
	byTarget := map[paxi.ID]*stats.Histogram{}
	byZone := map[string]*stats.Histogram{}
	zoneErrs := map[string]int{}
	var zones []string
	for _, c := range r.conns {
		c.mu.Lock()
		res.Hist.Merge(c.hist)
		res.Errors += c.errs
		if byTarget[c.tgt.id] == nil {
			byTarget[c.tgt.id] = stats.NewHistogram()
		}
		byTarget[c.tgt.id].Merge(c.hist)
		if byZone[c.zone] == nil {
			byZone[c.zone] = stats.NewHistogram()
			zones = append(zones, c.zone)
		}
		byZone[c.zone].Merge(c.hist)
		zoneErrs[c.zone] += c.errs
		if res.Per100ms == nil {
			res.Per100ms = make([]int, len(c.per100))
		}
		for i, n := range c.per100 {
			res.Per100ms[i] += n
		}
		if r.history {
			res.History = append(res.History, c.ops...)
		}
		c.mu.Unlock()
	}
	res.Ops = res.Hist.Count()
	res.Latency = latencyOf(res.Hist)
	for i := range res.Replicas {
		rr := &res.Replicas[i]
		for _, c := range r.conns {
			if c.tgt.id == rr.ID {
				c.mu.Lock()
				rr.Errors += c.errs
				rr.Failed += c.failed
				rr.Unanswered += c.inFlight
				c.mu.Unlock()
			}
		}
		if h := byTarget[rr.ID]; h != nil {
			rr.Ops, rr.Latency = h.Count(), latencyOf(h)
		}
		res.Failed += rr.Failed
	}
	for _, z := range zones {
		res.Zones = append(res.Zones, ZoneResult{Zone: z, Ops: byZone[z].Count(), Errors: zoneErrs[z], Latency: latencyOf(byZone[z])})
	}
	return res
}

// replicaResults reads each target's counters.
func (r *runner) replicaResults(order []*target) []ReplicaResult {
	out := make([]ReplicaResult, len(order))
	for k, t := range order {
		t.mu.Lock()
		out[k] = ReplicaResult{ID: t.id, Down: t.down}
		t.mu.Unlock()
	}
	return out
}
