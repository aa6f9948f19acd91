// Command bench compares protocols on real replica processes on loopback:
//
//	bench -protocols unreplicated,epaxos,multipaxos -n 3 -conflicts 0,100 -depths 128,1024
//	bench -protocols epaxos -rates 5000,20000,40000 -duration 5s
//
// For each protocol and replica count it starts that many bin/server
// processes (GOMAXPROCS=1 each, as benchmark/processes.sh did), and at each
// point of the sweep (conflicts x value size x depth or rate) runs the
// workload in-process against them: first one command in flight to 1.1
// (low-load latency, unless -low-load=false), then each pipeline depth
// with -clients connections per replica (closed loop) or each rate (open
// loop). It stops the servers it started, prints a side-by-side table
// (saturation throughput, the depth that reached it and p50 there,
// low-load p50, the share of the unreplicated ceiling measured in the same
// run, server and client CPU per command) and writes one results
// directory (results.json, pictures, index.html).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/agora-consensus/agora/benchmark"
	"github.com/agora-consensus/agora/internal/cli"
	"github.com/agora-consensus/agora/paxi"
	_ "github.com/agora-consensus/agora/protocols/all"
	"github.com/spf13/pflag"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("bench", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	protocols := fs.String("protocols", "unreplicated,epaxos", "comma-separated protocols")
	ns := fs.String("n", "3", "comma-separated replica counts")
	conflicts := fs.String("conflicts", "0,2,25,100", "comma-separated conflict percentages")
	depths := fs.String("depths", "128,512,1024,2048", "comma-separated commands in flight per connection (closed loop)")
	rates := fs.String("rates", "", "comma-separated open-loop rates (commands/s); replaces -depths")
	valueSizes := fs.String("value-sizes", "16", "comma-separated value sizes in bytes")
	clients := fs.Int("clients", 2, "connections per replica at each depth or rate")
	lowLoad := fs.Bool("low-load", true, "measure low-load latency (one command in flight to 1.1) at each point")
	duration := fs.Duration("duration", 5*time.Second, "measured duration of each run")
	warmup := fs.Duration("warmup", 2*time.Second, "unmeasured load before each run")
	bconfig := fs.String("bconfig", "", "base workload (benchmark.json); the sweep overrides its fields")
	fsync := fs.Bool("fsync", false, "servers sync their logs")
	server := fs.String("server", "", "bin/server binary (default: go build it into the results directory)")
	serverProcs := fs.Int("server-gomaxprocs", 1, "GOMAXPROCS of each server (0: Go's default)")
	outDir := fs.String("out", "", "results directory (default results/<timestamp>)")
	quiet := fs.Bool("quiet", false, "no progress line per second")
	snapEvery := fs.String("snapshot-every", "", "comma-separated servers' snapshot_every values (-1: no command trigger), one cluster each; default: the servers' default (no command trigger)")
	snapBytes := fs.String("snapshot-log-bytes", "", "comma-separated servers' snapshot_log_bytes values (-1: no byte trigger, 0: the servers' default of 32 MiB), paired with -snapshot-every (a single value goes with every one), e.g. -1,33554432,-1,33554432 to alternate off and on")
	if err := cli.Parse(fs, args); err != nil {
		return 2
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "bench: "+format+"\n", a...)
		return 2
	}
	var protos []string
	for _, p := range splitList(*protocols) {
		if _, err := paxi.Lookup(p); err != nil {
			return bad("-protocols: %v", err)
		}
		protos = append(protos, p)
	}
	nList, err := ints(*ns, 1)
	if err != nil {
		return bad("-n: %v", err)
	}
	confList, err := floats(*conflicts, 0, 100)
	if err != nil {
		return bad("-conflicts: %v", err)
	}
	depthList, err := ints(*depths, 1)
	if err != nil {
		return bad("-depths: %v", err)
	}
	var rateList []float64
	if *rates != "" {
		if rateList, err = floats(*rates, 1e-9, 1e9); err != nil {
			return bad("-rates: %v", err)
		}
	}
	sizeList, err := ints(*valueSizes, 0)
	if err != nil {
		return bad("-value-sizes: %v", err)
	}
	snaps, err := snapshotSettings(*snapEvery, *snapBytes)
	if err != nil {
		return bad("%v", err)
	}
	switch {
	case len(protos) == 0:
		return bad("-protocols: none given")
	case *clients < 1:
		return bad("-clients must be at least 1")
	case *duration <= 0:
		return bad("-duration must be positive")
	case *warmup < 0:
		return bad("-warmup must not be negative")
	}
	base := benchmark.DefaultWorkload()
	if *bconfig != "" {
		if base, err = benchmark.LoadWorkload(*bconfig); err != nil {
			return bad("%v", err)
		}
	}
	base.Duration, base.Warmup = paxi.Duration(*duration), paxi.Duration(*warmup)
	base.Targets = nil

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep := benchmark.NewReport("bench " + strings.Join(args, " "))
	if *outDir == "" {
		*outDir = benchmark.DefaultOutDir(rep.Started)
	}
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		return bad("-out: %v", err)
	}
	abs, built, err := benchmark.BuildServer(ctx, *server, *outDir, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return 1
	}
	if built {
		defer os.Remove(abs)
	}
	var env []string
	if *serverProcs > 0 {
		env = []string{"GOMAXPROCS=" + strconv.Itoa(*serverProcs)}
	}
	var progress io.Writer = stderr
	if *quiet {
		progress = nil
	}
	code := 0
	for _, proto := range protos {
		for _, n := range nList {
			for _, snap := range snaps {
				dir := filepath.Join(*outDir, fmt.Sprintf("%s-n%d%s", proto, n, snap.dir))
				procs, err := benchmark.StartProcessesWith(abs, proto, n, dir, benchmark.ProcessOptions{Fsync: *fsync, Env: env,
					SnapshotEvery: snap.every, SnapshotLogBytes: snap.bytes})
				if err != nil {
					fmt.Fprintf(stderr, "bench: %s n=%d: %v\n", proto, n, err)
					code = 1
					continue
				}
				runs := sweep(ctx, procs.Config, proto, n, snap.label, base, confList, sizeList, depthList, rateList, *clients, *lowLoad, progress, stderr)
				rep.Runs = append(rep.Runs, runs...)
				if exited := procs.Exited(); len(exited) > 0 {
					fmt.Fprintf(stderr, "bench: %s n=%d: replicas died: %v\n", proto, n, exited)
					code = 1
				}
				if err := procs.Close(); err != nil {
					fmt.Fprintf(stderr, "bench: %v\n", err)
				}
				os.RemoveAll(filepath.Join(dir, "state"))
				if ctx.Err() != nil {
					break
				}
			}
		}
	}
	rep.Finish()
	printTable(stdout, rep)
	if err := benchmark.WriteReport(*outDir, rep); err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	fmt.Fprintf(stderr, "bench: results in %s\n", filepath.Join(*outDir, "index.html"))
	for _, r := range rep.Runs {
		if r.Err != "" || r.Result.Ops == 0 || r.Result.Trouble() {
			code = 1
		}
	}
	if ctx.Err() != nil {
		return 1
	}
	return code
}

// sweep runs every point against one cluster.
func sweep(ctx context.Context, cfg *paxi.Config, proto string, n int, snap string, base benchmark.Workload, confs []float64, sizes, depths []int,
	rates []float64, clients int, lowLoad bool, progress, stderr io.Writer) []benchmark.RunReport {
	var out []benchmark.RunReport
	one := func(w benchmark.Workload, sweep map[string]string, series, label string) {
		if ctx.Err() != nil {
			return
		}
		fmt.Fprintf(stderr, "bench: %s\n", label)
		rr, err := benchmark.Measure(ctx, cfg, w, benchmark.Options{Progress: progress})
		rr.Label, rr.Series, rr.Sweep = label, series, sweep
		if err != nil {
			fmt.Fprintf(stderr, "bench: %s: %v\n", label, err)
		}
		fmt.Fprintf(stderr, "bench:   %s\n", rr.Result)
		out = append(out, rr)
	}
	for _, c := range confs {
		for _, size := range sizes {
			w := base
			w.Conflicts, w.ValueSize = c, size
			point := fmt.Sprintf("%s n=%d conflicts=%g%%", proto, n, c)
			if len(sizes) > 1 {
				point += fmt.Sprintf(" value=%dB", size)
			}
			point += snap
			sw := func(k, v string) map[string]string {
				m := map[string]string{"protocol": proto, "replicas": strconv.Itoa(n), "conflicts": fmt.Sprint(c),
					"value_size": strconv.Itoa(size), k: v}
				if snap != "" {
					m["snapshots"] = strings.TrimSpace(snap)
				}
				return m
			}
			if lowLoad {
				lw := w
				lw.Clients, lw.Outstanding, lw.Rate, lw.Targets = 1, 1, 0, []paxi.ID{cfg.IDs()[0]}
				one(lw, sw("load", "low"), point+" low-load", point+" low-load")
			}
			if len(rates) > 0 {
				for _, r := range rates {
					rw := w
					rw.Clients, rw.Rate = clients, r
					one(rw, sw("rate", fmt.Sprint(r)), point, fmt.Sprintf("%s rate=%g/s", point, r))
				}
				continue
			}
			for _, d := range depths {
				dw := w
				dw.Clients, dw.Outstanding, dw.Rate = clients, d, 0
				one(dw, sw("depth", strconv.Itoa(d)), point, fmt.Sprintf("%s depth=%dx%d", point, clients*n, d))
			}
		}
	}
	return out
}

// printTable writes processes.sh's summary: per protocol, replica count
// and point, the saturation (highest throughput of the sweep) with its
// depth and p50, the low-load p50, the share of the unreplicated ceiling
// and the CPU per command of the servers and the client there.
func printTable(w io.Writer, rep benchmark.Report) {
	type row struct {
		sat, low *benchmark.RunReport
	}
	rows := map[string]*row{}
	var order []string
	ceiling := map[string]float64{}
	for i := range rep.Runs {
		r := &rep.Runs[i]
		key := strings.TrimSuffix(r.Series, " low-load")
		if rows[key] == nil {
			rows[key] = &row{}
			order = append(order, key)
		}
		if r.Sweep["load"] == "low" {
			rows[key].low = r
			continue
		}
		if s := rows[key].sat; s == nil || r.Result.Throughput > s.Result.Throughput {
			rows[key].sat = r
		}
		if r.Protocol == "unreplicated" {
			p := pointOf(r)
			ceiling[p] = max(ceiling[p], r.Result.Throughput)
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "protocol\tn\tconflicts\tsnapshots\tsaturation/s\tat\tp50 there\tp99 there\tlow-load p50\tof unreplicated\tserver µs/op\tclient µs/op\t")
	us := func(d time.Duration) string {
		if d <= 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f", d.Seconds()*1e6)
	}
	for _, k := range order {
		r := rows[k]
		low := "-"
		if r.low != nil {
			low = r.low.Result.P50.Round(time.Microsecond).String()
		}
		if r.sat == nil {
			continue
		}
		s := r.sat
		at := s.Sweep["depth"]
		if at == "" {
			at = s.Sweep["rate"] + "/s"
		}
		share := "-"
		if c := ceiling[pointOf(s)]; c > 0 {
			share = fmt.Sprintf("%.0f%%", 100*s.Result.Throughput/c)
		}
		srv := "-"
		if s.Server != nil {
			srv = us(s.Server.CPUPerCommand)
		}
		snaps := s.Sweep["snapshots"]
		if snaps == "" {
			snaps = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s%%\t%s\t%.0f\t%s\t%v\t%v\t%s\t%s\t%s\t%s\t\n", s.Protocol, s.Sweep["replicas"], s.Sweep["conflicts"], snaps,
			s.Result.Throughput, at, s.Result.P50.Round(time.Microsecond), s.Result.P99.Round(time.Microsecond), low, share, srv, us(s.ClientCPUPerCommand))
	}
	tw.Flush()
}

// pointOf is a run's conflicts and value size: where the unreplicated
// ceiling is compared.
func pointOf(r *benchmark.RunReport) string {
	return r.Sweep["conflicts"] + "/" + r.Sweep["value_size"]
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func ints(s string, least int) ([]int, error) {
	var out []int
	for _, f := range splitList(s) {
		v, err := strconv.Atoi(f)
		if err != nil || v < least {
			return nil, fmt.Errorf("%q is not a whole number >= %d", f, least)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no values in %q", s)
	}
	return out, nil
}

func floats(s string, lo, hi float64) ([]float64, error) {
	var out []float64
	for _, f := range splitList(s) {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil || v < lo || v > hi {
			return nil, fmt.Errorf("%q is not a number in %g..%g", f, lo, hi)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no values in %q", s)
	}
	return out, nil
}
