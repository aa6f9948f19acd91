// Command eval reproduces the EPaxos paper's evaluation in the simulator
// (package evaluation): per-site latency beside its analytic optimum for
// three and five sites, the interference sweep, Multi-Paxos's leader
// placement, a slow replica, availability across a crash, batching and
// tail latency. It prints every table, writes results.json and the
// pictures into -out, and exits 1 if a measured median is off its optimum
// by more than the tolerance or an experiment's expected outcome does not
// hold, 2 on a usage error.
//
//	eval -out results/eval           # what simulation.sh runs
//	eval -quick                       # every experiment, shorter
package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/agora-consensus/agora/evaluation"
	"github.com/agora-consensus/agora/internal/cli"
	"github.com/agora-consensus/agora/paxi/sim"
	_ "github.com/agora-consensus/agora/protocols/all"
)

func main() {
	sim.TuneGC()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("eval", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	quick := fs.Bool("quick", false, "shorter runs of every experiment (QUICK=1 ./simulation.sh)")
	seed := fs.Int64("seed", 1, "random seed of every run")
	duration := fs.Duration("duration", 0, "virtual time of a wide-area run (default 10s, 3s with -quick)")
	out := fs.String("out", "", "directory for results.json and the pictures (none if empty)")
	only := fs.String("only", "", "run one experiment: widearea, interference, leader, slow, availability, batching, tail")
	emuConfig := fs.String("emulated-config", "", "write DIR/config.json for five real replicas with the paper's round trips emulated, and exit")
	emuCompare := fs.String("compare-emulated", "", "compare DIR/client-<site>.json (bin/client -json per site) with the simulator, and exit")
	fsync := fs.Bool("fsync", false, "with -emulated-config: the replicas sync their logs (the simulator models no disk)")
	loopback := fs.Bool("loopback", false, "with -emulated-config: write the same replicas without emulated delays (the real processes' own cost)")
	protocol := fs.String("protocol", "epaxos", "protocol of -emulated-config and -compare-emulated")
	port := fs.Int("port", 37000, "first port of -emulated-config (peers base+1.., clients base+101.., HTTP base+201..)")
	if err := cli.Parse(fs, args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "eval: unexpected arguments %v\n", fs.Args())
		return 2
	}
	o := evaluation.DefaultOptions()
	if *quick {
		o = evaluation.QuickOptions()
	}
	o.Seed = *seed
	if *duration < 0 {
		fmt.Fprintf(stderr, "eval: -duration %v: want a positive duration\n", *duration)
		return 2
	}
	if *duration > 0 {
		o.Duration = *duration
	}
	if *emuConfig != "" {
		write := evaluation.WriteEmulatedConfig
		if *loopback {
			write = evaluation.WriteLoopbackConfig
		}
		if err := write(*emuConfig, *protocol, *port, *fsync); err != nil {
			fmt.Fprintln(stderr, "eval:", err)
			return 1
		}
		return 0
	}
	if *emuCompare != "" {
		bad, err := evaluation.CompareEmulated(stdout, *emuCompare, *protocol, o)
		if err != nil {
			fmt.Fprintln(stderr, "eval:", err)
			return 1
		}
		for _, b := range bad {
			fmt.Fprintf(stdout, "FAIL %s (tolerance %.0f%%)\n", b, evaluation.EmulatedTolerance)
		}
		if len(bad) > 0 {
			return 1
		}
		return 0
	}
	start := time.Now()
	rep, err := evaluation.RunAll(o, *only, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "eval:", err)
		if rep == nil {
			return 2
		}
		return 1
	}
	if *out != "" {
		if err := evaluation.WriteResults(*out, rep); err != nil {
			fmt.Fprintln(stderr, "eval:", err)
			return 1
		}
		fmt.Fprintf(stdout, "results and pictures in %s\n", *out)
	}
	fmt.Fprintf(stdout, "eval: %d checks, %d failed (%v)\n", len(rep.Checks), len(rep.Failures()), time.Since(start).Round(time.Millisecond))
	if len(rep.Failures()) > 0 {
		for _, f := range rep.Failures() {
			fmt.Fprintln(stdout, "FAIL", f)
		}
		return 1
	}
	return 0
}
