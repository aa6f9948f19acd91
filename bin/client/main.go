// Command client is the load generator:
//
//	client -config config.json -bconfig benchmark.json [-conflicts 25] [-duration 10s]
//	client -config config.json -rate 20000 -distribution zipfian -history h.jsonl -check
//
// It drives the replicas of the cluster configuration with the workload of
// the benchmark configuration (Agora's or Paxi's benchmark.json; flags
// override it), closed loop or, with -rate, open loop, prints one progress
// line per second on stderr, and at the end throughput and latency
// percentiles overall, per target replica and per zone, labelled with the
// algorithm the replicas say they run (their /status; config.json may name
// another), with the replicas' /metrics figures (fast path ratio, messages,
// bytes and CPU per command). -conflicts is a percentage, as in bin/sim;
// -conflict is the same flag. It writes results.json, pictures and
// index.html to -out (default results/<timestamp>). -history records every
// operation; -check (or LinearizabilityCheck) checks them.
//
// A replica that refuses connections at the start or dies during the run
// does not stop the others: the report names it, with the commands its
// clients saw fail or never answered, and the exit status is 1 (so it is
// for a history that is not linearizable). It is 0 for a clean run, 2 for
// a usage error.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/agora-consensus/agora/benchmark"
	"github.com/agora-consensus/agora/checker"
	"github.com/agora-consensus/agora/internal/cli"
	"github.com/agora-consensus/agora/paxi"
	"github.com/spf13/pflag"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("client", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "config.json", "cluster configuration")
	bconfig := fs.String("bconfig", "", "workload file (benchmark.json); defaults apply without it")
	conflicts := fs.Float64("conflicts", 0, "percentage (0..100) of commands on the shared key")
	fs.Float64Var(conflicts, "conflict", 0, "same as -conflicts (a percentage)")
	writes := fs.Float64("writes", 0, "fraction of puts")
	clients := fs.Int("clients", 0, "connections per target replica")
	outstanding := fs.Int("outstanding", 0, "commands in flight per connection")
	duration := fs.Duration("duration", 0, "measured duration")
	warmup := fs.Duration("warmup", 0, "unmeasured load before it (default from the workload: 2s)")
	targets := fs.String("targets", "", "comma-separated replica ids to send to (default: all)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the load generator to this file")
	rate := fs.Float64("rate", 0, "open loop: commands per second over all connections (0: closed loop)")
	arrival := fs.String("arrival", "", "open-loop arrivals: poisson (default) or fixed")
	distribution := fs.String("distribution", "", "key distribution: "+strings.Join(benchmark.Distributions, ", "))
	keys := fs.Int("keys", 0, "key space of the Paxi distributions")
	valueSize := fs.Int("value-size", 0, "bytes per written value")
	history := fs.String("history", "", "write every operation to this file (docs/HISTORY.md format)")
	check := fs.Bool("check", false, "check the history for linearizability at the end (as LinearizabilityCheck: true)")
	checkTimeout := fs.Duration("check-timeout", time.Minute, "bound on the linearizability check")
	outDir := fs.String("out", "", "results directory (default results/<timestamp>; \"none\" writes none)")
	quiet := fs.Bool("quiet", false, "no progress line per second")
	if err := cli.Parse(fs, args); err != nil {
		return 2
	}
	cfg, err := paxi.LoadConfig(*configPath)
	if err != nil {
		fmt.Fprintln(stderr, "client:", err)
		return 2
	}
	w := benchmark.DefaultWorkload()
	if *bconfig != "" {
		if w, err = benchmark.LoadWorkload(*bconfig); err != nil {
			fmt.Fprintln(stderr, "client:", err)
			return 2
		}
	}
	// A flag given overrides the workload whatever its value, so that
	// Validate refuses a bad one instead of the workload's value standing in.
	given := fs.Changed
	if given("conflicts") || given("conflict") {
		w.Conflicts = *conflicts
	}
	if given("writes") {
		w.Writes = *writes
	}
	if given("clients") {
		w.Clients = *clients
	}
	if given("outstanding") {
		w.Outstanding = *outstanding
	}
	if given("duration") {
		w.Duration = paxi.Duration(*duration)
	}
	if given("warmup") {
		w.Warmup = paxi.Duration(*warmup)
	}
	if given("rate") {
		w.Rate = *rate
	}
	if given("arrival") {
		w.Arrival = *arrival
	}
	if given("distribution") {
		w.Distribution = *distribution
	}
	if given("keys") {
		w.Keys = *keys
	}
	if given("value-size") {
		w.ValueSize = *valueSize
	}
	if *check {
		w.Check = true
	}
	if *targets != "" {
		w.Targets = nil
		for _, s := range strings.Split(*targets, ",") {
			id, err := paxi.ParseID(s)
			if err != nil {
				fmt.Fprintln(stderr, "client: -targets:", err)
				return 2
			}
			w.Targets = append(w.Targets, id)
		}
	}
	if err := w.Validate(); err != nil {
		fmt.Fprintln(stderr, "client:", err)
		return 2
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(stderr, "client:", err)
			return 2
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "client:", err)
			return 2
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	opts := benchmark.Options{History: *history != "" || w.Check}
	if !*quiet {
		opts.Progress = stderr
	}
	rr, err := benchmark.Measure(ctx, cfg, w, opts)
	label := rr.Protocol
	if label != cfg.Algorithm {
		fmt.Fprintf(stderr, "client: %s names %s, the replicas' /status says %s: labelling with that\n", *configPath, cfg.Algorithm, label)
	}
	if err != nil && ctx.Err() == nil {
		fmt.Fprintln(stderr, "client:", err)
		return 1
	}
	r := rr.Result
	rr.Label = fmt.Sprintf("%s conflicts=%g%%", label, w.Conflicts)
	rr.Series = label
	code := 0
	if r.Ops == 0 || r.Trouble() {
		code = 1
	}
	if *history != "" {
		t0 := time.Now()
		if err := checker.WriteHistoryFile(*history, r.History); err != nil {
			fmt.Fprintln(stderr, "client:", err)
			code = 1
		} else {
			rr.HistoryFile = *history
			fmt.Fprintf(stderr, "client: %d operations written to %s in %v\n", len(r.History), *history, time.Since(t0).Round(time.Millisecond))
		}
	}
	if w.Check {
		res := rr.Check(*checkTimeout)
		fmt.Fprintf(stderr, "client: linearizable: %s (%d operations, checked in %s)\n", rr.Linearizable, len(r.History), rr.CheckTime)
		if res.Verdict != checker.Ok {
			fmt.Fprintln(stderr, strings.TrimSpace(res.String()))
			code = 1
		}
	}
	if *asJSON {
		json.NewEncoder(stdout).Encode(struct {
			Algorithm string  `json:"algorithm"`
			Conflicts float64 `json:"conflicts"`
			benchmark.RunReport
		}{label, w.Conflicts, rr})
	} else {
		benchmark.Fprint(stdout, rr.Label, r)
		benchmark.FprintDetail(stdout, r)
		if rr.Server != nil {
			fmt.Fprintf(stdout, "  %s\n", rr.Server)
		}
		if rr.ClientCPUPerCommand > 0 {
			fmt.Fprintf(stdout, "  client: cpu/command=%v\n", rr.ClientCPUPerCommand.Round(10*time.Nanosecond))
		}
	}
	if *outDir != "none" {
		rep := benchmark.NewReport("client " + strings.Join(args, " "))
		rep.Runs = []benchmark.RunReport{rr}
		rep.Finish()
		dir := *outDir
		if dir == "" {
			dir = benchmark.DefaultOutDir(rep.Started)
		}
		if err := benchmark.WriteReport(dir, rep); err != nil {
			fmt.Fprintln(stderr, "client:", err)
			return 1
		}
		fmt.Fprintf(stderr, "client: results in %s\n", filepath.Join(dir, "index.html"))
	}
	return code
}
