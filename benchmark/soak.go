package benchmark

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"time"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/client"
)

// SoakOptions describe a soak run (bin/soak): real replica processes under
// saturating load for Duration, one of them (Victim) killed for Down in the
// middle, then another (Restart) killed and restarted after the load.
type SoakOptions struct {
	Server    string // bin/server binary
	Algorithm string
	N         int
	Dir       string // run directory
	Procs     ProcessOptions
	Duration  time.Duration
	Down      time.Duration // 0: nobody is killed during the load
	Sample    time.Duration // between two samples
	Victim    paxi.ID       // killed during the load (default: the last replica)
	Restart   paxi.ID       // restarted at the end (default: the second replica)
	// Workload is the load; its Duration, Warmup and Targets are set per
	// phase.
	Workload Workload
	Progress io.Writer // one line per sample; nil: none
}

// RestartResult is one restart of a replica.
type RestartResult struct {
	Replica string `json:"replica"`
	// Seconds from starting the process to its first successful request.
	Seconds float64 `json:"seconds"`
	// PeakBytes is the restarted process's VmHWM once serving.
	PeakBytes int64  `json:"peak_bytes"`
	DirBytes  int64  `json:"dir_bytes"` // its data directory at the restart
	Err       string `json:"error,omitempty"`
}

// SoakResult is what a soak run measured.
type SoakResult struct {
	Algorithm        string  `json:"algorithm"`
	N                int     `json:"n"`
	Fsync            bool    `json:"fsync"`
	SnapshotEvery    int64   `json:"snapshot_every"`
	SnapshotLogBytes int64   `json:"snapshot_log_bytes"`
	DurationSeconds  float64 `json:"duration_s"`
	DownSeconds      float64 `json:"down_s"`
	Victim           string  `json:"victim,omitempty"`
	// KilledAt and RejoinedAt are the victim's kill and restart, in
	// seconds since the load started.
	KilledAt   float64 `json:"killed_at_s"`
	RejoinedAt float64 `json:"rejoined_at_s"`
	// Rejoin is the victim's restart in the middle of the load (it may
	// have to catch up); Restart the one after the load, which the
	// criteria judge.
	Rejoin   RestartResult `json:"rejoin"`
	Restart  RestartResult `json:"restart"`
	Ops      int           `json:"ops"` // commands answered without error over the load
	Samples  []SoakSample  `json:"samples"`
	Verdicts []Verdict     `json:"verdicts,omitempty"`
	Command  string        `json:"command,omitempty"`
	Uptime   string        `json:"uptime,omitempty"` // the machine's load average before the run
}

// soakPhases splits duration around a kill of down in the middle: load
// with everyone before (and after) it.
func soakPhases(duration, down time.Duration) (before, after time.Duration) {
	if down <= 0 || down >= duration {
		return duration, 0
	}
	before = (duration - down) / 2
	return before, duration - down - before
}

// RunSoak runs a soak and returns its samples (Verdicts unset).
func RunSoak(ctx context.Context, o SoakOptions) (SoakResult, error) {
	procs, err := StartProcessesWith(o.Server, o.Algorithm, o.N, o.Dir, o.Procs)
	if err != nil {
		return SoakResult{}, err
	}
	defer procs.Close()
	cfg := procs.Config
	ids := cfg.IDs()
	if o.Victim == "" {
		o.Victim = ids[len(ids)-1]
	}
	if o.Restart == "" {
		o.Restart = ids[min(1, len(ids)-1)]
	}
	for _, id := range []paxi.ID{o.Victim, o.Restart} {
		if _, ok := cfg.Replica(id); !ok {
			return SoakResult{}, fmt.Errorf("replica %s is not in the configuration (%v)", id, ids)
		}
	}
	r := SoakResult{Algorithm: o.Algorithm, N: o.N, Fsync: o.Procs.Fsync, SnapshotEvery: o.Procs.SnapshotEvery,
		SnapshotLogBytes: o.Procs.SnapshotLogBytes, DurationSeconds: o.Duration.Seconds(), DownSeconds: o.Down.Seconds()}
	s := &soakSampler{procs: procs, dir: o.Dir, exclude: map[paxi.ID]bool{o.Victim: true}, start: time.Now(), progress: o.Progress}
	stopSampling := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(o.Sample)
		defer t.Stop()
		for {
			select {
			case <-stopSampling:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				s.sample(ctx)
			}
		}
	}()
	defer func() { close(stopSampling); wg.Wait() }()
	s.sample(ctx)

	addrs := ClientAddrs(cfg)
	load := func(targets []paxi.ID, d time.Duration) error {
		if d <= 0 {
			return nil
		}
		w := o.Workload
		w.Duration, w.Warmup, w.Targets = paxi.Duration(d), 0, targets
		res, err := RunWith(ctx, w, addrs, Options{})
		r.Ops += res.Ops
		return err
	}
	before, after := soakPhases(o.Duration, o.Down)
	var others []paxi.ID
	for _, id := range ids {
		if id != o.Victim {
			others = append(others, id)
		}
	}
	if err := load(ids, before); err != nil {
		return r, fmt.Errorf("load: %w", err)
	}
	if o.Down > 0 && o.Down < o.Duration {
		r.Victim = string(o.Victim)
		if err := procs.Kill(o.Victim); err != nil {
			return r, err
		}
		r.KilledAt = s.since()
		s.sample(ctx)
		if err := load(others, o.Down); err != nil {
			return r, fmt.Errorf("load with %s down: %w", o.Victim, err)
		}
		// The victim comes back while the others go on serving the load.
		r.RejoinedAt = s.since()
		rejoined := make(chan RestartResult, 1)
		go func() { rejoined <- restartAndProbe(ctx, procs, o.Victim, o.Dir, 0) }()
		err := load(others, after)
		r.Rejoin = <-rejoined
		if err != nil {
			return r, fmt.Errorf("load after %s came back: %w", o.Victim, err)
		}
	}
	s.sample(ctx)
	s.mu.Lock()
	s.exclude[o.Restart] = true
	s.mu.Unlock()
	if err := procs.Kill(o.Restart); err != nil {
		return r, err
	}
	s.sample(ctx)
	r.Restart = restartAndProbe(ctx, procs, o.Restart, o.Dir, 0)
	s.sample(ctx)
	r.Samples = s.samples()
	if exited := procs.Exited(); len(exited) > 0 {
		return r, fmt.Errorf("replicas exited by themselves: %v", exited)
	}
	return r, ctx.Err()
}

// restartAndProbe starts replica id (which must be stopped) and measures
// the time to its first successful request (a get, retried every 10 ms
// for up to limit, default 2 minutes) and its peak memory then.
func restartAndProbe(ctx context.Context, procs *Processes, id paxi.ID, dir string, limit time.Duration) RestartResult {
	if limit == 0 {
		limit = 2 * time.Minute
	}
	rs := RestartResult{Replica: string(id), DirBytes: dirBytes(filepath.Join(dir, "state", string(id)))}
	rep, _ := procs.Config.Replica(id)
	start := time.Now()
	if err := procs.Start(id); err != nil {
		rs.Err = err.Error()
		return rs
	}
	deadline := start.Add(limit)
	var c *client.Client
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	last := "no attempt"
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if c == nil {
			var err error
			if c, err = client.Dial(rep.Client); err != nil {
				last, c = err.Error(), nil
				time.Sleep(10 * time.Millisecond)
				continue
			}
		}
		rctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := c.Do(rctx, paxi.Command{Op: paxi.Get, Key: "soak-probe", ClientID: c.ID(), CommandID: uint64(time.Now().UnixNano())})
		cancel()
		if err == nil {
			rs.Seconds = time.Since(start).Seconds()
			if pid, ok := procs.PIDs()[id]; ok {
				rs.PeakBytes, _ = procStatusBytes(pid, "VmHWM")
			}
			return rs
		}
		last = err.Error()
		if _, broken := err.(*client.ReplyError); !broken && rctx.Err() == nil {
			c.Close()
			c = nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	rs.Err = fmt.Sprintf("not serving after %v: %s", limit, last)
	return rs
}

// soakSampler records every replica's data directory, memory and executed
// count.
type soakSampler struct {
	procs    *Processes
	dir      string
	exclude  map[paxi.ID]bool // not counted in the throughput (killed, and replaying when back)
	start    time.Time
	progress io.Writer

	mu   sync.Mutex
	all  []SoakSample
	prev map[paxi.ID]execPoint
}

type execPoint struct {
	pid  int
	n    float64
	t    float64
	have bool
}

func (s *soakSampler) since() float64 { return time.Since(s.start).Seconds() }

func (s *soakSampler) samples() []SoakSample {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SoakSample(nil), s.all...)
}

func (s *soakSampler) sample(ctx context.Context) {
	sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	counters := ScrapeAll(sctx, s.procs.Config)
	cancel()
	pids := s.procs.PIDs()
	now := s.since()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.prev == nil {
		s.prev = map[paxi.ID]execPoint{}
	}
	var rows []SoakSample
	tput := 0.0
	for _, id := range s.procs.Config.IDs() {
		row := SoakSample{T: now, Replica: string(id), Executed: -1,
			DirBytes: dirBytes(filepath.Join(s.dir, "state", string(id)))}
		pid, up := pids[id]
		row.Up = up
		if up {
			row.RSSBytes, _ = procStatusBytes(pid, "VmRSS")
		}
		c, ok := counters[id]
		if up && ok {
			row.Executed = c["agora_executions_total"]
			row.Snapshots, row.SnapshotBytes, row.PauseSeconds = c["agora_snapshots_total"], c["agora_snapshot_bytes"], c["agora_snapshot_pause_seconds_sum"]
			p := s.prev[id]
			if !s.exclude[id] && p.have && p.pid == pid && now > p.t && row.Executed >= p.n {
				tput = max(tput, (row.Executed-p.n)/(now-p.t))
			}
			s.prev[id] = execPoint{pid: pid, n: row.Executed, t: now, have: true}
		} else {
			delete(s.prev, id)
		}
		rows = append(rows, row)
	}
	for i := range rows {
		rows[i].Throughput = tput
	}
	s.all = append(s.all, rows...)
	if s.progress != nil {
		line := fmt.Sprintf("%6.0f s  %8.0f cmd/s ", now, tput)
		for _, r := range rows {
			if r.Up {
				line += fmt.Sprintf(" | %s dir %6.1f MiB rss %6.1f MiB", r.Replica, mib(r.DirBytes), mib(r.RSSBytes))
			} else {
				line += fmt.Sprintf(" | %s down, dir %6.1f MiB", r.Replica, mib(r.DirBytes))
			}
		}
		fmt.Fprintln(s.progress, line)
	}
}
