package checker

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

// The comparison with Porcupine runs only when asked, since it takes
// minutes:
//
//	CHECKER_COMPARE=1 go test ./checker/ -run TestCompareWithPorcupine -v -timeout 60m
//
// Each (scenario, checker) pair runs in a child process of its own so that
// its peak memory can be measured cleanly. CHECKER_PORCUPINE_TIMEOUT bounds
// each Porcupine run (default 3m) and CHECKER_MEMORY_LIMIT_GIB its heap
// (default 8): the machine is shared, and Porcupine's memory grows with the
// length of a key's history times the number of search steps.

// porcupineInput and porcupineOutput are the model's input and output.
type porcupineInput struct {
	op         string
	key, value string
}

type porcupineOutput struct {
	value   string
	unknown bool // a get that never returned may have returned anything
}

// porcupineKV is a key-value model written as Porcupine's documentation
// recommends: partitioned by key, the state of a partition being one value.
var porcupineKV = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string]int{}
		var out [][]porcupine.Operation
		for _, o := range history {
			k := o.Input.(porcupineInput).key
			g, ok := byKey[k]
			if !ok {
				g = len(out)
				byKey[k] = g
				out = append(out, nil)
			}
			out[g] = append(out[g], o)
		}
		return out
	},
	Init: func() interface{} { return "" },
	Step: func(state, input, output interface{}) (bool, interface{}) {
		in := input.(porcupineInput)
		switch in.op {
		case "put":
			return true, in.value
		case "delete":
			return true, ""
		}
		out := output.(porcupineOutput)
		return out.unknown || out.value == state.(string), state
	},
	Hash: func(state interface{}) uint64 {
		h := uint64(14695981039346656037)
		for _, c := range []byte(state.(string)) {
			h = (h ^ uint64(c)) * 1099511628211
		}
		return h
	},
}

// toPorcupine converts a history. An operation that never returned gets the
// latest possible return time, which lets Porcupine place it anywhere after
// its call, including after everything else, where it changes nothing.
func toPorcupine(ops []Operation) []porcupine.Operation {
	out := make([]porcupine.Operation, len(ops))
	for i, o := range ops {
		ret := o.Return
		if o.Pending() {
			ret = math.MaxInt64
		}
		out[i] = porcupine.Operation{
			ClientId: o.Client,
			Input:    porcupineInput{op: o.Op, key: o.Key, value: o.Value},
			Call:     o.Call,
			Output:   porcupineOutput{value: o.Value, unknown: o.Pending()},
			Return:   ret,
		}
	}
	return out
}

func TestCompareWithPorcupine(t *testing.T) {
	if os.Getenv("CHECKER_COMPARE") == "" {
		t.Skip("set CHECKER_COMPARE=1 to compare with Porcupine (takes minutes)")
	}
	only := os.Getenv("CHECKER_COMPARE_ONLY")
	fmt.Printf("| history | checker | verdict | wall time | CPU time | peak heap | peak RSS |\n|---|---|---|---|---|---|---|\n")
	for _, s := range scenarios {
		if only != "" && !strings.Contains(s.name, only) {
			continue
		}
		verdicts := map[string]string{}
		for _, c := range []string{"agora", "porcupine"} {
			cmd := exec.Command(os.Args[0], "-test.run=^TestCompareChild$", "-test.timeout=0")
			cmd.Env = append(os.Environ(), "CHECKER_CHILD="+s.name+":"+c)
			cmd.Stderr = os.Stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%s/%s: %v\n%s", s.name, c, err, out)
			}
			var line string
			sc := bufio.NewScanner(strings.NewReader(string(out)))
			for sc.Scan() {
				if strings.HasPrefix(sc.Text(), "RESULT ") {
					line = strings.TrimPrefix(sc.Text(), "RESULT ")
				}
			}
			f := strings.Split(line, " ")
			if len(f) != 4 {
				t.Fatalf("%s/%s: no result in\n%s", s.name, c, out)
			}
			rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss * 1024
			fmt.Printf("| %s | %s | %s | %s | %s | %s | %s |\n", s.name, c, f[0], f[1], f[2], f[3], gib(uint64(rss)))
			verdicts[c] = f[0]
		}
		a, p := verdicts["agora"], verdicts["porcupine"]
		if (p == "ok" || p == "illegal") && a != p {
			t.Errorf("%s: agora says %s, porcupine says %s", s.name, a, p)
		}
	}
}

// TestCompareChild runs one checker on one scenario and prints a RESULT
// line: verdict, wall time, CPU time (which the other work on a shared
// machine disturbs less), and the peak heap sampled during the check (which
// includes the history itself).
func TestCompareChild(t *testing.T) {
	spec := os.Getenv("CHECKER_CHILD")
	if spec == "" {
		t.Skip("run by TestCompareWithPorcupine")
	}
	name, which, _ := strings.Cut(spec, ":")
	s, ok := findScenario(name)
	if !ok {
		t.Fatalf("no scenario %q", name)
	}
	ops := s.generate()
	var pops []porcupine.Operation
	if which == "porcupine" {
		pops = toPorcupine(ops)
	}
	runtime.GC()
	limit := uint64(8) << 30
	if v := os.Getenv("CHECKER_MEMORY_LIMIT_GIB"); v != "" {
		var g uint64
		fmt.Sscan(v, &g)
		limit = g << 30
	}
	start := time.Now()
	cpuStart := cpuTime()
	peak := make(chan uint64)
	stop := make(chan struct{})
	go samplePeakHeap(limit, start, cpuStart, stop, peak)
	var verdict string
	switch which {
	case "agora":
		verdict = CheckLinearizable(ops, Options{}).Verdict.String()
	case "porcupine":
		timeout := 3 * time.Minute
		if v := os.Getenv("CHECKER_PORCUPINE_TIMEOUT"); v != "" {
			timeout, _ = time.ParseDuration(v)
		}
		switch porcupine.CheckOperationsTimeout(porcupineKV, pops, timeout) {
		case porcupine.Ok:
			verdict = "ok"
		case porcupine.Illegal:
			verdict = "illegal"
		default:
			verdict = "timed-out"
		}
	}
	elapsed := time.Since(start)
	cpu := cpuTime() - cpuStart
	close(stop)
	fmt.Printf("RESULT %s %.2fs %.2fs %s\n", verdict, elapsed.Seconds(), cpu.Seconds(), gib(<-peak))
}

// cpuTime is the CPU time the process has used so far, user and system.
func cpuTime() time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// samplePeakHeap reports the largest heap seen until stop is closed. Past
// limit it ends the process, reporting that the checker ran out of memory.
func samplePeakHeap(limit uint64, start time.Time, cpuStart time.Duration, stop chan struct{}, peak chan uint64) {
	var m runtime.MemStats
	var top uint64
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		runtime.ReadMemStats(&m)
		top = max(top, m.HeapInuse)
		if top > limit {
			fmt.Printf("RESULT out-of-memory %.2fs %.2fs >%s\n", time.Since(start).Seconds(), (cpuTime() - cpuStart).Seconds(), gib(limit))
			os.Exit(0)
		}
		select {
		case <-stop:
			peak <- top
			return
		case <-tick.C:
		}
	}
}

func gib(b uint64) string {
	if b >= 1<<30 {
		return fmt.Sprintf("%.2fGiB", float64(b)/(1<<30))
	}
	return fmt.Sprintf("%.0fMiB", float64(b)/(1<<20))
}

// TestAgreesWithPorcupine checks medium-sized random histories, too long
// for the brute force, against Porcupine: repeated values and deletes send
// many of them through the complete search.
func TestAgreesWithPorcupine(t *testing.T) {
	n := 400
	if testing.Short() {
		n = 100
	}
	counts := map[Verdict]int{}
	for seed := int64(0); seed < int64(n); seed++ {
		rng := rand.New(rand.NewPCG(uint64(seed), 13))
		cfg := genConfig{keys: 1 + rng.IntN(3), clients: 2 + rng.IntN(6), opsPerClient: 10 + rng.IntN(30),
			getProb: 0.5, deleteProb: 0.1, maxGap: 10, maxDur: int64(5 + rng.IntN(40)),
			repeatValues: rng.IntN(2) == 0}
		if rng.IntN(2) == 0 {
			cfg.pendingProb = 0.05
		}
		ops := genLinearizable(rng, cfg)
		if rng.IntN(2) == 0 {
			ops = mutate(rng, ops)
		}
		want := porcupine.CheckOperationsTimeout(porcupineKV, toPorcupine(ops), 10*time.Second)
		got := CheckLinearizable(ops, Options{Timeout: 10 * time.Second})
		if want == porcupine.Unknown || got.Verdict == Unknown {
			continue
		}
		if (want == porcupine.Ok) != (got.Verdict == Ok) {
			t.Fatalf("seed %d: porcupine says %v, we say %v\n%s", seed, want, got.Verdict, dump(ops))
		}
		counts[got.Verdict]++
	}
	t.Logf("agree on %d linearizable and %d non-linearizable histories", counts[Ok], counts[Illegal])
}
