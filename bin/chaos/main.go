// Command chaos is the real-process crash test: for each protocol it starts
// N bin/server replicas on loopback (fsync on), drives a closed-loop mixed
// read/write load on a few hot keys, SIGKILLs a random replica every
// U(kill-min, kill-max) and restarts it U(down-min, down-max) later, then
// checks the history for linearizability and lost writes and measures
// throughput over time:
//
//	go run ./bin/chaos -protocol multipaxos,mencius,epaxos -duration 3m
//
// It writes history-<protocol>.jsonl, timeline.csv, results.json and
// availability.png/.svg into -out, prints a verdict per protocol, and exits
// 1 if any check failed (2 on bad flags).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/agora-consensus/agora/benchmark"
	"github.com/agora-consensus/agora/benchmark/chaos"
	"github.com/agora-consensus/agora/internal/cli"
	"github.com/agora-consensus/agora/paxi"
	_ "github.com/agora-consensus/agora/protocols/all"
	"github.com/spf13/pflag"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("chaos", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	protocols := fs.String("protocol", "multipaxos", "protocols to test, comma-separated, one after the other")
	server := fs.String("server", "", "bin/server binary to run (default: go build ./bin/server into the output directory)")
	n := fs.Int("n", 3, "replicas")
	duration := fs.Duration("duration", 3*time.Minute, "how long the load and the faults run, per protocol")
	killMin := fs.Duration("kill-min", 5*time.Second, "shortest time between two kills")
	killMax := fs.Duration("kill-max", 10*time.Second, "longest time between two kills")
	downMin := fs.Duration("down-min", 2*time.Second, "shortest time a killed replica stays down")
	downMax := fs.Duration("down-max", 5*time.Second, "longest time a killed replica stays down")
	seed := fs.Int64("seed", 1, "seed of the kill schedule and of the load")
	clients := fs.Int("clients", 12, "closed-loop clients, spread over the replicas, one operation in flight each")
	keys := fs.Int("keys", 5, "hot keys")
	writes := fs.Float64("writes", 0.5, "fraction of operations that are writes (0..1)")
	opTimeout := fs.Duration("op-timeout", 2*time.Second, "an operation unanswered this long is recorded pending and its client fails over")
	settle := fs.Duration("settle", 3*time.Second, "quiet time before the final reads of every key on every replica")
	checkTimeout := fs.Duration("check-timeout", 5*time.Minute, "bound on each linearizability check")
	fsync := fs.Bool("fsync", true, "replicas sync their durable log to disk")
	outDir := fs.String("out", "", "output directory (default results/chaos-<UTC timestamp>)")
	keepState := fs.Bool("keep-state", false, "keep the replicas' storage directories")
	if err := fs.Parse(cli.DoubleDash(args)); err != nil {
		return 2
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "chaos: "+format+"\n", a...)
		return 2
	}
	switch {
	case fs.NArg() > 0:
		return bad("unexpected argument %q", fs.Arg(0))
	case *n < 3:
		return bad("-n %d: need at least 3 replicas to survive a kill", *n)
	case *duration <= 0 || *killMin <= 0 || *killMax < *killMin || *downMin <= 0 || *downMax < *downMin:
		return bad("-duration, -kill-min/-max and -down-min/-max must be positive, each max at least its min")
	case *clients < 1 || *keys < 1:
		return bad("-clients and -keys must be at least 1")
	case *writes < 0 || *writes > 1:
		return bad("-writes %v: want a fraction between 0 and 1", *writes)
	case *opTimeout <= 0:
		return bad("-op-timeout must be positive")
	}
	var protos []string
	for _, p := range strings.Split(*protocols, ",") {
		p = strings.TrimSpace(p)
		if _, err := paxi.Lookup(p); err != nil {
			return bad("-protocol: %v", err)
		}
		protos = append(protos, p)
	}
	started := time.Now().UTC()
	if *outDir == "" {
		*outDir = filepath.Join("results", "chaos-"+started.Format("20060102-150405"))
	}
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		return bad("-out: %v", err)
	}
	abs, _, err := benchmark.BuildServer(ctx, *server, *outDir, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "chaos: %v\n", err)
		return 1
	}
	load := chaos.Load{Clients: *clients, Keys: *keys, Writes: *writes, OpTimeout: *opTimeout, Seed: *seed}
	host, _ := os.Hostname()
	report := chaos.Report{Command: "chaos " + strings.Join(args, " "), Started: started, Host: host, Pass: true,
		Options: map[string]any{"n": *n, "duration": duration.String(), "kill": [2]string{killMin.String(), killMax.String()},
			"down": [2]string{downMin.String(), downMax.String()}, "seed": *seed, "clients": *clients, "keys": *keys,
			"writes": *writes, "op_timeout": opTimeout.String(), "fsync": *fsync, "settle": settle.String()}}
	for _, p := range protos {
		o := chaos.Run(ctx, chaos.Options{
			Server: abs, Protocol: p, N: *n, Fsync: *fsync, Duration: *duration,
			KillMin: *killMin, KillMax: *killMax, DownMin: *downMin, DownMax: *downMax, Seed: *seed,
			Load: load, Settle: *settle, CheckTimeout: *checkTimeout,
			Dir: filepath.Join(*outDir, p), KeepState: *keepState, Log: stdout,
		})
		fmt.Fprint(stdout, chaos.Verdict(o))
		report.Outcomes = append(report.Outcomes, o)
		report.Pass = report.Pass && o.Pass
		if ctx.Err() != nil {
			break
		}
	}
	report.Finished = time.Now().UTC()
	if err := chaos.WriteOutputs(*outDir, report); err != nil {
		fmt.Fprintf(stderr, "chaos: writing results: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "results in %s (results.json, timeline.csv, availability.png/.svg, history-*.jsonl)\n", *outDir)
	if !report.Pass {
		fmt.Fprintln(stdout, "FAIL")
		return 1
	}
	fmt.Fprintln(stdout, "PASS")
	return 0
}
