package evaluation

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/sim"
)

// The emulated comparison runs the protocols as real processes on
// loopback with each peer link delayed by half its pair's round trip
// (config.json's emulated_rtt), one bin/client per site, and compares
// each site's median with the simulator's on the same matrix and
// workload. evaluation/emulated.sh drives the processes; this file
// writes their configuration and compares the results.

// EmulatedTolerance is how far (percent) a real process's median may lie
// from the simulator's.
const EmulatedTolerance = 10.0

// emulatedParams are the protocol parameters of both sides. EPaxos runs
// without thrifty: sending to every peer, the fastest replies make the
// quorum on both sides, whatever order a replica keeps its peers in.
func emulatedParams(protocol string) json.RawMessage {
	if protocol == "epaxos" {
		return json.RawMessage(`{"thrifty":false}`)
	}
	return json.RawMessage(`{}`)
}

// WriteEmulatedConfig writes dir/config.json: five replicas 1.1 ... 5.1 on
// 127.0.0.1 from port base, one per paper site, with the paper matrix's
// mean round trips as emulated_rtt.
// fsync says whether the replicas sync their logs: the simulator models
// no disk, and one sync on this machine's disk costs 1.5-2 ms, several of
// them in sequence per command, so the comparison runs without it unless
// asked (docs/PERFORMANCE.md, "Real processes with emulated wide-area
// delays").
func WriteEmulatedConfig(dir, protocol string, base int, fsync bool) error {
	return writeConfig(dir, protocol, base, true, fsync)
}

// WriteLoopbackConfig writes the same configuration without emulated_rtt:
// the baseline of what the real processes themselves cost per command.
func WriteLoopbackConfig(dir, protocol string, base int, fsync bool) error {
	return writeConfig(dir, protocol, base, false, fsync)
}

func writeConfig(dir, protocol string, base int, delays, fsync bool) error {
	m := sim.WAN(5)
	cfg := paxi.Config{Algorithm: protocol, Params: emulatedParams(protocol), StorageDir: filepath.Join(dir, "state"),
		Tick: paxi.Duration(paxi.DefaultTick), EmulatedRTT: map[paxi.ID]map[paxi.ID]paxi.Duration{}, Fsync: &fsync}
	for z := 1; z <= 5; z++ {
		id := paxi.ID(fmt.Sprintf("%d.1", z))
		cfg.Replicas = append(cfg.Replicas, paxi.ReplicaConfig{ID: id,
			Peer: fmt.Sprintf("127.0.0.1:%d", base+z), Client: fmt.Sprintf("127.0.0.1:%d", base+100+z), HTTP: fmt.Sprintf("127.0.0.1:%d", base+200+z)})
		for y := z + 1; delays && y <= 5; y++ {
			if cfg.EmulatedRTT[id] == nil {
				cfg.EmulatedRTT[id] = map[paxi.ID]paxi.Duration{}
			}
			cfg.EmulatedRTT[id][paxi.ID(fmt.Sprintf("%d.1", y))] = paxi.Duration(RTT(m, z, y).Round(100 * time.Microsecond))
		}
	}
	js, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "config.json"), append(js, '\n'), 0o644)
}

// clientResult is the part of bin/client -json (a benchmark.RunReport)
// that the comparison reads.
type clientResult struct {
	Result struct {
		Ops int           `json:"ops"`
		P50 time.Duration `json:"p50_ns"`
	} `json:"result"`
	Err string `json:"error"`
}

// readClient reads one site's bin/client -json output: its measured
// commands and their median. A file without commands is an error, so that
// a changed format or a dead run cannot pass as a 0 ms median.
func readClient(path string) (ops int, p50 time.Duration, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, err
	}
	var cr clientResult
	if err := json.Unmarshal(b, &cr); err != nil {
		return 0, 0, fmt.Errorf("%s: %v", path, err)
	}
	if cr.Result.Ops == 0 || cr.Result.P50 <= 0 {
		return 0, 0, fmt.Errorf("%s: no measured commands (error %q)", path, cr.Err)
	}
	return cr.Result.Ops, cr.Result.P50, nil
}

// emulatedRuns lists the runs under dir: its subdirectories run1, run2,
// ... in order, or dir itself if it has none.
func emulatedRuns(dir string) []string {
	var runs []string
	for i := 1; ; i++ {
		d := filepath.Join(dir, fmt.Sprintf("run%d", i))
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			break
		}
		runs = append(runs, d)
	}
	if len(runs) == 0 {
		runs = []string{dir}
	}
	return runs
}

// median is the middle of xs (the mean of the middle two for an even
// count); xs is sorted in place.
func median(xs []float64) float64 {
	sort.Float64s(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// CompareEmulated reads the real runs under dir (dir/runK/client-<site>.json,
// or dir/client-<site>.json for one: bin/client -json of the clients at
// each site's replica), runs the simulator with the same matrix, protocol
// and load (clients closed-loop writers at every site, private keys), and
// prints per site each run's median, their median, and the simulator's.
// The median of the runs' medians is what is compared, so that one run
// disturbed by the machine's other work does not decide. It returns the
// sites off by more than EmulatedTolerance. If dir/loopback holds a run
// without emulated delays (WriteLoopbackConfig), its medians are printed
// beside, for information: what the real processes themselves add per
// command on this machine at that moment, which the simulator (zero CPU)
// does not model. They are not subtracted.
func CompareEmulated(w io.Writer, dir, protocol string, o Options) ([]string, error) {
	m := sim.WAN(5).Constant()
	cfg := wanConfig(o, protocol, nil, m, 0)
	cfg.Params = emulatedParams(protocol)
	_, res, err := run(cfg)
	if err != nil {
		return nil, err
	}
	runs := emulatedRuns(dir)
	base := filepath.Join(dir, "loopback")
	if _, err := os.Stat(base); err != nil {
		base = ""
	}
	var bad []string
	fmt.Fprintf(w, "=== real processes with emulated round trips against the simulator: %s, 5 sites, %d clients a site, %d runs\n", protocol, o.Clients, len(runs))
	fmt.Fprintf(w, "%-5s", "site")
	for i := range runs {
		fmt.Fprintf(w, " %8s", fmt.Sprintf("run%d", i+1))
	}
	fmt.Fprintf(w, " %10s %10s %8s %8s", "real p50", "sim p50", "diff", "ops")
	if base != "" {
		fmt.Fprintf(w, " %9s", "loopback")
	}
	fmt.Fprintln(w)
	for i, site := range m.Names {
		var p50s []float64
		ops := 0
		fmt.Fprintf(w, "%-5s", site)
		for _, r := range runs {
			n, p50, err := readClient(filepath.Join(r, "client-"+site+".json"))
			if err != nil {
				return nil, err
			}
			ops += n
			p50s = append(p50s, Ms(p50))
			fmt.Fprintf(w, " %8.1f", Ms(p50))
		}
		real := median(p50s)
		simP50 := Ms(res.Sites[i].P50)
		diff := 100 * (real - simP50) / simP50
		fmt.Fprintf(w, " %10.1f %10.1f %+7.1f%% %8d", real, simP50, diff, ops)
		if base != "" {
			_, lp, err := readClient(filepath.Join(base, "client-"+site+".json"))
			if err != nil {
				return nil, err
			}
			fmt.Fprintf(w, " %9.1f", Ms(lp))
		}
		fmt.Fprintln(w)
		if abs(diff) > EmulatedTolerance {
			bad = append(bad, fmt.Sprintf("%s at %s: real %.1f ms, simulated %.1f ms (%+.1f%%)", protocol, site, real, simP50, diff))
		}
	}
	return bad, nil
}
