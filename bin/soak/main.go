// Command soak is issue 14's end-to-end measurement: real bin/server
// processes (fsync on) under saturating load for -duration, one replica
// (-victim) killed for -down in the middle, each replica's data directory,
// resident memory and the throughput sampled every -sample; after the
// load one replica (-restart) is killed and restarted and its time to the
// first successful request and peak memory (VmHWM) measured. It writes
// soak.csv, soak.json and soak.png/svg per protocol and prints the
// issue's criteria as PASS/FAIL lines; the exit status is 1 if any fails.
//
//	soak -protocols epaxos,multipaxos,mencius            # 10 minutes each, 5 down
//	soak -protocols multipaxos -duration 2m -down 1m -warmup 20s
//	soak -protocols multipaxos -no-snapshots             # the same without snapshots
//
// It is its own command rather than a bench mode: bench sweeps short
// measured points against one cluster, a soak is one long timeline with
// kills, samples of the processes and pass/fail criteria.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/agora-consensus/agora/benchmark"
	"github.com/agora-consensus/agora/internal/cli"
	"github.com/agora-consensus/agora/paxi"
	_ "github.com/agora-consensus/agora/protocols/all"
	"github.com/spf13/pflag"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("soak", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	protocols := fs.String("protocols", "epaxos", "comma-separated protocols, run one after the other")
	n := fs.Int("n", 3, "replicas")
	duration := fs.Duration("duration", 10*time.Minute, "load duration")
	down := fs.Duration("down", 5*time.Minute, "how long -victim is down, in the middle of the load (0: never)")
	sample := fs.Duration("sample", 5*time.Second, "between two samples")
	warmup := fs.Duration("warmup", time.Minute, "memory samples before this are not judged")
	settle := fs.Duration("down-settle", 0, "memory samples in the first part of the downtime are not judged either (0: judged from the kill)")
	victim := fs.String("victim", "", "replica killed during the load (default: the last)")
	restart := fs.String("restart", "", "replica restarted after the load (default: the second)")
	fsync := fs.Bool("fsync", true, "servers sync their logs")
	every := fs.Int64("snapshot-every", 0, "servers' snapshot_every (0 or -1: no command trigger; snapshot-log-bytes still triggers)")
	logBytes := fs.Int64("snapshot-log-bytes", 32<<20, "servers' snapshot_log_bytes (-1: no byte trigger)")
	noSnap := fs.Bool("no-snapshots", false, "servers take no snapshots (snapshot_every -1, snapshot_log_bytes -1)")
	clients := fs.Int("clients", 2, "connections per replica")
	depth := fs.Int("depth", 512, "commands in flight per connection")
	keys := fs.Int("keys", 100_000, "keys, drawn uniformly")
	valueSize := fs.Int("value-size", 16, "bytes per written value")
	writes := fs.Float64("writes", 1, "fraction of commands that are puts")
	server := fs.String("server", "", "bin/server binary (default: go build it into the results directory)")
	serverProcs := fs.Int("server-gomaxprocs", 1, "GOMAXPROCS of each server (0: Go's default)")
	outDir := fs.String("out", "", "results directory (default results/soak-<timestamp>)")
	quiet := fs.Bool("quiet", false, "no line per sample")
	if err := cli.Parse(fs, args); err != nil {
		return 2
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "soak: "+format+"\n", a...)
		return 2
	}
	var protos []string
	for _, p := range strings.Split(*protocols, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if _, err := paxi.Lookup(p); err != nil {
			return bad("-protocols: %v", err)
		}
		protos = append(protos, p)
	}
	switch {
	case len(protos) == 0:
		return bad("-protocols: none given")
	case *n < 1:
		return bad("-n must be at least 1")
	case *duration <= 0:
		return bad("-duration must be positive")
	case *down < 0 || *down >= *duration:
		return bad("-down must be at least 0 and shorter than -duration (%v), got %v", *duration, *down)
	case *sample <= 0:
		return bad("-sample must be positive")
	case *every < -1:
		return bad("-snapshot-every must be -1, 0 or positive, got %d", *every)
	case *logBytes < -1:
		return bad("-snapshot-log-bytes must be -1 or more, got %d", *logBytes)
	}
	if *noSnap {
		*every, *logBytes = -1, -1
	}
	w := benchmark.DefaultWorkload()
	w.Clients, w.Outstanding, w.ValueSize, w.Writes = *clients, *depth, *valueSize, *writes
	w.Distribution, w.Keys = "uniform", *keys
	if err := w.Validate(); err != nil {
		return bad("%v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	started := time.Now()
	if *outDir == "" {
		*outDir = filepath.Join("results", "soak-"+started.UTC().Format("20060102-150405"))
	}
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		return bad("-out: %v", err)
	}
	abs, built, err := benchmark.BuildServer(ctx, *server, *outDir, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "soak: %v\n", err)
		return 1
	}
	if built {
		defer os.Remove(abs)
	}
	var env []string
	if *serverProcs > 0 {
		env = []string{"GOMAXPROCS=" + strconv.Itoa(*serverProcs)}
	}
	crit := benchmark.DefaultSoakCriteria()
	crit.Warmup, crit.DownSettle = *warmup, *settle
	code := 0
	for _, proto := range protos {
		dir := filepath.Join(*outDir, proto)
		o := benchmark.SoakOptions{Server: abs, Algorithm: proto, N: *n, Dir: dir,
			Procs:    benchmark.ProcessOptions{Fsync: *fsync, Env: env, SnapshotEvery: *every, SnapshotLogBytes: *logBytes},
			Duration: *duration, Down: *down, Sample: *sample, Victim: paxi.ID(*victim), Restart: paxi.ID(*restart), Workload: w}
		if !*quiet {
			o.Progress = stderr
		}
		load := uptime()
		fmt.Fprintf(stderr, "soak: %s: %v of load, %v down; load average %s\n", proto, *duration, *down, load)
		r, err := benchmark.RunSoak(ctx, o)
		r.Command, r.Uptime = "soak "+strings.Join(args, " "), load
		if err != nil {
			fmt.Fprintf(stderr, "soak: %s: %v\n", proto, err)
			code = 1
		}
		r.Verdicts = crit.Evaluate(r)
		if werr := benchmark.WriteSoakFiles(dir, r); werr != nil {
			fmt.Fprintf(stderr, "soak: %s: %v\n", proto, werr)
			code = 1
		}
		os.RemoveAll(filepath.Join(dir, "state"))
		fmt.Fprintf(stdout, "%s: %d commands in %v (%.0f/s); rejoin of %s %.2f s; results in %s\n", proto, r.Ops, *duration,
			float64(r.Ops)/duration.Seconds(), r.Rejoin.Replica, r.Rejoin.Seconds, dir)
		for _, v := range r.Verdicts {
			fmt.Fprintf(stdout, "  %s\n", v)
			if !v.Pass {
				code = max(code, 1)
			}
		}
		if ctx.Err() != nil {
			return 1
		}
	}
	return code
}

// uptime is the machine's load average, for the record of a run.
func uptime() string {
	out, err := exec.Command("uptime").Output()
	if err != nil {
		if b, err := os.ReadFile("/proc/loadavg"); err == nil {
			return strings.TrimSpace(string(b))
		}
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}
