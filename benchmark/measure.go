package benchmark

import (
	"context"
	"sync"
	"time"

	"github.com/agora-consensus/agora/checker"
	"github.com/agora-consensus/agora/paxi"
)

// Measure runs w against the replicas of cfg, reading their /metrics when
// the measured window opens and closes, and returns the run as a report
// entry: protocol as /status says, cluster, workload, result and server
// figures. o.Window is taken over.
func Measure(ctx context.Context, cfg *paxi.Config, w Workload, o Options) (RunReport, error) {
	rr := RunReport{Protocol: AlgorithmLabel(Algorithms(ctx, cfg), cfg.Algorithm), Replicas: len(cfg.Replicas),
		Cluster: cfg, Workload: w, Seed: w.Seed}
	var (
		mu            sync.Mutex
		before, after map[paxi.ID]Counters
	)
	o.Window = func(open bool) {
		m := ScrapeAll(ctx, cfg)
		mu.Lock()
		if open {
			before = m
		} else {
			after = m
		}
		mu.Unlock()
	}
	r, err := RunWith(ctx, w, ClientAddrs(cfg), o)
	rr.Result = r
	mu.Lock()
	if len(before) > 0 && len(after) > 0 {
		f := Figures(before, after, r.Ops)
		rr.Server = &f
	}
	mu.Unlock()
	if r.Ops > 0 && r.ClientCPU > 0 {
		rr.ClientCPUPerCommand = r.ClientCPU / time.Duration(r.Ops)
	}
	if err != nil {
		rr.Err = err.Error()
	}
	return rr, err
}

// Check runs the linearizability checker on the run's history and records
// the verdict.
func (rr *RunReport) Check(timeout time.Duration) checker.Result {
	t0 := time.Now()
	res := checker.CheckLinearizable(rr.Result.History, checker.Options{Timeout: timeout})
	rr.CheckTime = time.Since(t0).Round(time.Millisecond).String()
	rr.Linearizable = res.Verdict.String()
	if res.Verdict != checker.Ok {
		rr.Violation = res.String()
	}
	return res
}
