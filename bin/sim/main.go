// Command sim runs protocols in the deterministic simulator (paxi/sim).
//
//	sim -protocol epaxos -sites CA,VA,EU,OR,JP -clients 10 -conflicts 2 -duration 10s -seed 1
//	sim -protocol epaxos,simtest-pb -n 3 -duration 5s
//	sim -config bin/sim/example.json -seed 7             # the JSON format, by example
//	sim -protocol epaxos -seeds 1000 -faults random       # swarm: one line per failing seed
//	sim -protocol epaxos -seed 7 -faults random -trace    # every delivered message of one seed
//	sim -protocol multipaxos -faults random -fault-kinds stale -seeds 500   # one kind of fault only
//	sim -protocol epaxos -rate 100 -keys 1000 -zipf 0.99 -conflicts 100    # open loop, Zipf keys
//
// It prints throughput, latency percentiles per site and the verdicts of
// the checks (linearizability, execution order, liveness), and exits 1 if
// any check fails, 2 on a usage error or a value out of range (one line
// naming the flag). Flags accept one dash or two (-seed 5, --seed=5); flags
// override the -config file. -conflicts is a percentage, as in bin/client
// and the paper; -conflict is its old name.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/agora-consensus/agora/checker"
	"github.com/agora-consensus/agora/internal/cli"
	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/sim"
	_ "github.com/agora-consensus/agora/paxi/sim/simtest"
	"github.com/agora-consensus/agora/paxi/transport"
	_ "github.com/agora-consensus/agora/protocols/all"
)

const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

func main() {
	sim.TuneGC()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// codec round-trips a message through the wire codec, as a real
// deployment would encode it.
var codec = transport.RoundTrip

// run is main without the process, so tests can call it.
func run(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("sim", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.SortFlags = false
	var fc fileConfig
	configPath := fs.String("config", "", "JSON configuration file (flags override it)")
	protocols := fs.String("protocol", "epaxos", "protocol(s) to run, comma-separated; registered: "+strings.Join(paxi.Names(), ", "))
	fs.StringVar(protocols, "algorithm", "epaxos", "same as -protocol")
	params := fs.String("params", "", "protocol parameters as JSON, e.g. '{\"thrifty\":false}'")
	fs.IntVar(&fc.N, "n", 5, "number of replicas (one per site)")
	sites := fs.String("sites", "", "comma-separated sites: paper names CA,VA,EU,OR,JP or AWS regions from -data")
	fs.StringVar(&fc.Latency, "latency", "wan", "latency model: wan (paper sites, sampled from data/latency) or lan")
	fs.BoolVar(&fc.Constant, "constant", false, "use each link's average latency instead of sampling")
	fs.StringVar(&fc.DataDir, "data", "data/latency/aws-2020-06-05", "directory of .dat RTT files for AWS region names")
	tick := fs.Duration("tick", paxi.DefaultTick, "virtual time between protocol ticks")
	fs.IntVar(&fc.Clients, "clients", 10, "closed-loop clients per replica")
	fs.Float64Var(&fc.Conflict, "conflicts", 0, "percentage of commands on shared keys (0..100)")
	fs.Float64Var(&fc.Conflict, "conflict", 0, "same as -conflicts (a percentage)")
	fs.IntVar(&fc.Keys, "keys", 1, "number of shared keys")
	fs.Float64Var(&fc.Writes, "writes", 0.5, "fraction of writes")
	think := fs.Duration("think", 0, "client think time between commands")
	fs.Float64Var(&fc.Rate, "rate", 0, "open loop: commands per second arriving at each replica, answered or not (0: closed loop)")
	fs.Float64Var(&fc.Zipf, "zipf", 0, "draw the shared keys from a Zipf distribution with this exponent (0: uniform)")
	timeout := fs.Duration("client-timeout", 0, "client resends a command unanswered this long (0: never)")
	duration := fs.Duration("duration", 10*time.Second, "virtual time the clients run")
	warmup := fs.Duration("warmup", time.Second, "commands issued before this are not measured")
	fs.Int64Var(&fc.Seed, "seed", 1, "random seed (the first one with -seeds)")
	seeds := fs.Int("seeds", 1, "swarm mode: run this many seeds and print one line per failing seed")
	parallel := fs.Int("parallel", runtime.GOMAXPROCS(0), "swarm mode: run this many seeds at once (results are printed in seed order)")
	faults := fs.String("faults", "none", "fault schedule: none or random (a mix of: "+strings.Join(sim.FaultKinds, ", ")+"; see docs/faults.md)")
	faultKinds := fs.String("fault-kinds", "", "comma-separated kinds random faults draw from (default all), e.g. stale")
	faultsStop := fs.Duration("faults-stop", 0, "random faults end by then (default 3/4 of -duration)")
	avoid := fs.String("avoid", "", "comma-separated replicas random faults never crash or cut off")
	quiesce := fs.Duration("quiesce", 0, "stop a replica's clients this long before a random crash (protocols without recovery)")
	fs.Float64Var(&fc.Links.Drop, "drop", 0, "probability that a message is lost")
	fs.Float64Var(&fc.Links.Duplicate, "duplicate", 0, "probability that a message is delivered twice")
	reorder := fs.Duration("reorder", 0, "let messages overtake each other, with up to this much extra delay")
	fs.Float64Var(&fc.Bandwidth, "bandwidth", 0, "bytes per second per link (0: unlimited)")
	cpuMsg := fs.Duration("cpu-message", 0, "service time per message received")
	cpuSend := fs.Duration("cpu-send", 0, "service time per message sent")
	cpuExec := fs.Duration("cpu-execute", 0, "service time per command executed")
	cpuPersist := fs.Duration("cpu-persist", 0, "service time per batch persisted")
	snapEvery := fs.Int64("snapshot-every", 0, "replicas snapshot every this many executed commands and truncate their durable log (docs/SNAPSHOTS.md; 0: never)")
	snapCrash := fs.Int("snapshot-crash-every", 0, "with -snapshot-every: crash a replica during every this many-th of its snapshots, at each step in turn (0: never)")
	liveness := fs.Duration("liveness", 30*time.Second, "bound for every command to complete after the faults stop")
	fs.BoolVar(&fc.Codec, "codec", false, "round-trip every message and record through the wire codec")
	unreplicated := fs.Bool("unreplicated", false, "the protocol does not replicate: do not compare replicas (implied for -protocol unreplicated)")
	noLin := fs.Bool("no-linearizability", false, "skip the linearizability check (and the history)")
	trace := fs.Bool("trace", false, "print every delivered message of the (single) seed")
	historyPath := fs.String("history", "", "write the client history (JSON lines) to this file")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile (pprof) of the run to this file")
	memProfile := fs.String("memprofile", "", "write an allocation profile (pprof) at the end of the run to this file")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: sim [-config sim.json] [-protocol epaxos,...] [flags]")
		fs.PrintDefaults()
	}
	if err := cli.Parse(fs, args); err != nil {
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "sim: unexpected arguments %v\n", fs.Args())
		return exitUsage
	}
	if *configPath != "" {
		file, err := readConfig(*configPath)
		if err != nil {
			fmt.Fprintln(stderr, "sim:", err)
			return exitUsage
		}
		// Flags given explicitly override the file; the rest come from it.
		file.override(fs, &fc)
		fc = file
		if !fs.Changed("protocol") && !fs.Changed("algorithm") && fc.Protocol != "" {
			*protocols = fc.Protocol
		}
	}
	if *configPath == "" || fs.Changed("params") {
		if *params != "" {
			fc.Params = []byte(*params)
		}
	}
	set := func(name string, f func()) {
		if *configPath == "" || fs.Changed(name) {
			f()
		}
	}
	set("sites", func() {
		if *sites != "" {
			fc.Sites = strings.Split(*sites, ",")
		}
	})
	set("tick", func() { fc.Tick = paxi.Duration(*tick) })
	set("think", func() { fc.Think = paxi.Duration(*think) })
	set("client-timeout", func() { fc.Timeout = paxi.Duration(*timeout) })
	set("duration", func() { fc.Duration = paxi.Duration(*duration) })
	set("warmup", func() { fc.Warmup = paxi.Duration(*warmup) })
	set("liveness", func() { fc.Liveness = paxi.Duration(*liveness) })
	set("reorder", func() {
		if *reorder > 0 {
			fc.Links.Reorder, fc.Links.Delay = true, paxi.Duration(*reorder)
		}
	})
	set("cpu-message", func() { fc.CPU.Message = paxi.Duration(*cpuMsg) })
	set("cpu-send", func() { fc.CPU.Send = paxi.Duration(*cpuSend) })
	set("cpu-execute", func() { fc.CPU.Execute = paxi.Duration(*cpuExec) })
	set("cpu-persist", func() { fc.CPU.Persist = paxi.Duration(*cpuPersist) })
	switch *faults {
	case "none":
		if *faultKinds != "" {
			fmt.Fprintln(stderr, "sim: -fault-kinds needs -faults random")
			return exitUsage
		}
		if fs.Changed("faults") {
			fc.Random = nil
		}
	case "random":
		if fc.Random == nil {
			fc.Random = &sim.RandomFaults{}
		}
		if *configPath == "" || fs.Changed("faults-stop") {
			fc.Random.Stop = *faultsStop
		}
		if *avoid != "" {
			for _, id := range strings.Split(*avoid, ",") {
				fc.Random.Avoid = append(fc.Random.Avoid, paxi.ID(strings.TrimSpace(id)))
			}
		}
		if *quiesce > 0 {
			fc.Random.Quiesce = *quiesce
		}
		if *faultKinds != "" {
			fc.Random.Kinds = nil
			for _, k := range strings.Split(*faultKinds, ",") {
				k = strings.TrimSpace(k)
				if !slices.Contains(sim.FaultKinds, k) {
					fmt.Fprintf(stderr, "sim: -fault-kinds: unknown kind %q (want some of %s)\n", k, strings.Join(sim.FaultKinds, ", "))
					return exitUsage
				}
				fc.Random.Kinds = append(fc.Random.Kinds, k)
			}
		}
	default:
		fmt.Fprintf(stderr, "sim: -faults %q: want none or random\n", *faults)
		return exitUsage
	}
	given := func(name string) bool { return *configPath == "" || fs.Changed(name) }
	if err := fc.validate(given); err != nil {
		fmt.Fprintln(stderr, "sim:", err)
		return exitUsage
	}
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{{"reorder", *reorder}, {"quiesce", *quiesce}, {"faults-stop", *faultsStop}} {
		if d.v < 0 {
			fmt.Fprintf(stderr, "sim: -%s %v: want a positive duration\n", d.flag, d.v)
			return exitUsage
		}
	}
	if *snapEvery < 0 || *snapCrash < 0 || *snapCrash > 0 && *snapEvery == 0 {
		fmt.Fprintln(stderr, "sim: -snapshot-every and -snapshot-crash-every want a number of commands and of snapshots (-snapshot-crash-every needs -snapshot-every)")
		return exitUsage
	}
	if *seeds < 1 {
		fmt.Fprintln(stderr, "sim: -seeds must be at least 1")
		return exitUsage
	}
	if *parallel < 1 {
		fmt.Fprintln(stderr, "sim: -parallel must be at least 1")
		return exitUsage
	}
	if *trace && *seeds > 1 {
		fmt.Fprintln(stderr, "sim: -trace prints one seed; drop -seeds")
		return exitUsage
	}

	stopProfiles, err := startProfiles(*cpuProfile, *memProfile)
	if err != nil {
		fmt.Fprintln(stderr, "sim:", err)
		return exitUsage
	}
	defer func() {
		if err := stopProfiles(); err != nil {
			fmt.Fprintln(stderr, "sim:", err)
		}
	}()

	failed := false
	for _, proto := range strings.Split(*protocols, ",") {
		proto = strings.TrimSpace(proto)
		cfg, err := fc.simConfig(proto)
		if err != nil {
			fmt.Fprintln(stderr, "sim:", err)
			return exitUsage
		}
		if *snapEvery > 0 {
			cfg.Snapshots = &sim.Snapshots{Every: uint64(*snapEvery), CrashEvery: *snapCrash}
		}
		cfg.Check.NoLinearizability = *noLin
		cfg.Check.Unreplicated = *unreplicated || proto == "unreplicated"
		if *trace {
			cfg.Trace = stdout
		}
		if *seeds > 1 {
			if swarm(cfg, *seeds, *parallel, args, proto, stdout) {
				failed = true
			}
			continue
		}
		s, err := sim.New(cfg)
		if err != nil {
			fmt.Fprintln(stderr, "sim:", err)
			return exitUsage
		}
		res := s.RunAll()
		res.Report(stdout)
		if *historyPath != "" {
			if err := checker.WriteHistoryFile(*historyPath, s.History()); err != nil {
				fmt.Fprintln(stderr, "sim:", err)
				return exitFail
			}
		}
		if res.Failed() {
			failed = true
			fmt.Fprintf(stdout, "replay: %s\n", replay(args, proto, cfg.Seed))
		}
	}
	if failed {
		return exitFail
	}
	return exitOK
}

// override copies into file the fields whose flags were given explicitly.
func (file *fileConfig) override(fs *pflag.FlagSet, flags *fileConfig) {
	pairs := []struct {
		name string
		f    func()
	}{
		{"n", func() { file.N = flags.N; file.Sites = nil; file.Replicas = nil }},
		{"latency", func() { file.Latency = flags.Latency }},
		{"constant", func() { file.Constant = flags.Constant }},
		{"data", func() { file.DataDir = flags.DataDir }},
		{"clients", func() { file.Clients = flags.Clients }},
		{"conflicts", func() { file.Conflict = flags.Conflict }},
		{"conflict", func() { file.Conflict = flags.Conflict }},
		{"keys", func() { file.Keys = flags.Keys }},
		{"writes", func() { file.Writes = flags.Writes }},
		{"rate", func() { file.Rate = flags.Rate }},
		{"zipf", func() { file.Zipf = flags.Zipf }},
		{"seed", func() { file.Seed = flags.Seed }},
		{"drop", func() { file.Links.Drop = flags.Links.Drop }},
		{"duplicate", func() { file.Links.Duplicate = flags.Links.Duplicate }},
		{"bandwidth", func() { file.Bandwidth = flags.Bandwidth }},
		{"codec", func() { file.Codec = flags.Codec }},
	}
	for _, p := range pairs {
		if fs.Changed(p.name) {
			p.f()
		}
	}
	if file.DataDir == "" {
		file.DataDir = flags.DataDir
	}
	if file.N == 0 && len(file.Sites) == 0 && len(file.Replicas) == 0 {
		file.N = flags.N
	}
}

// swarm runs seeds, workers at a time, and prints one line per failing
// seed, in seed order, with the command that replays it. It reports
// whether any seed failed.
func swarm(base sim.Config, seeds, workers int, args []string, proto string, out io.Writer) bool {
	type outcome struct {
		line string
		fail bool
	}
	results := make([]outcome, seeds)
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				cfg := base
				cfg.Seed = base.Seed + int64(i)
				res, err := sim.Run(cfg)
				switch {
				case err != nil:
					results[i] = outcome{fmt.Sprintf("FAIL %s seed=%d: %v", proto, cfg.Seed, err), true}
				case res.Failed():
					first := strings.SplitN(res.Failures()[0], "\n", 2)[0]
					results[i] = outcome{fmt.Sprintf("FAIL %s seed=%d: %s\n  replay: %s", proto, cfg.Seed, first, replay(args, proto, cfg.Seed)), true}
				default:
					results[i] = outcome{fmt.Sprintf("ok %s seed=%d completed=%d", proto, cfg.Seed, res.Completed), false}
				}
			}
		}()
	}
	start := time.Now()
	for i := range seeds {
		next <- i
	}
	close(next)
	wg.Wait()
	bad := 0
	for _, r := range results {
		if r.fail {
			bad++
			fmt.Fprintln(out, r.line)
		}
	}
	fmt.Fprintf(out, "%s: %d seeds from %d, %d failed (%v)\n", proto, seeds, base.Seed, bad, time.Since(start).Round(time.Millisecond))
	return bad > 0
}

// replay rebuilds the command line for one protocol and seed: the original
// arguments without -seed, -seeds, -parallel, -protocol and -trace, plus
// those.
func replay(args []string, proto string, seed int64) string {
	skipValue := map[string]bool{"--seed": true, "--seeds": true, "--parallel": true, "--protocol": true, "--algorithm": true}
	var keep []string
	norm := cli.DoubleDash(args)
	for i := 0; i < len(norm); i++ {
		a := norm[i]
		name, _, hasValue := strings.Cut(a, "=")
		if skipValue[name] {
			if !hasValue {
				i++
			}
			continue
		}
		if name == "--trace" {
			continue
		}
		keep = append(keep, quote(a))
	}
	return fmt.Sprintf("go run ./bin/sim --protocol %s %s --seed %s", proto, strings.Join(keep, " "), strconv.FormatInt(seed, 10))
}

func quote(s string) string {
	if strings.ContainsAny(s, " '\"{}*$") {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	return s
}
