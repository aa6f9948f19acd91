// Command client is the load generator:
//
//	client -config config.json -bconfig benchmark.json [-conflicts 25] [-duration 10s]
//
// It drives the replicas of the cluster configuration with the workload of
// the benchmark configuration (flags override it) and prints throughput and
// latency percentiles, labelled with the algorithm the replicas say they run
// (their /status; config.json may name another). -conflicts is a
// percentage, as in bin/sim; -conflict is the same flag.
//
// A replica that refuses connections at the start or dies during the run
// does not stop the others: the report names it, with the commands its
// clients saw fail or never answered, and the exit status is 1. It is 0 for
// a clean run, 2 for a usage error.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"

	"github.com/agora-consensus/agora/benchmark"
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
	label := benchmark.AlgorithmLabel(benchmark.Algorithms(ctx, cfg), cfg.Algorithm)
	if label != cfg.Algorithm {
		fmt.Fprintf(stderr, "client: %s names %s, the replicas' /status says %s: labelling with that\n", *configPath, cfg.Algorithm, label)
	}
	r, err := benchmark.Run(ctx, w, benchmark.ClientAddrs(cfg))
	if err != nil && ctx.Err() == nil {
		fmt.Fprintln(stderr, "client:", err)
		return 1
	}
	if *asJSON {
		json.NewEncoder(stdout).Encode(struct {
			Algorithm string
			Conflicts float64
			benchmark.Result
		}{label, w.Conflicts, r})
	} else {
		benchmark.Fprint(stdout, fmt.Sprintf("%s conflicts=%g%%", label, w.Conflicts), r)
	}
	if r.Ops == 0 || r.Trouble() {
		return 1
	}
	return 0
}
