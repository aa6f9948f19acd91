package evaluation

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
// without thrifty: a real replica orders its peers by zone, not by the
// emulated delays (paxi/node), so a thrifty quorum would not be the
// nearest one; sending to all, the fastest replies make the quorum on both
// sides.
func emulatedParams(protocol string) json.RawMessage {
	if protocol == "epaxos" {
		return json.RawMessage(`{"thrifty":false}`)
	}
	return json.RawMessage(`{}`)
}

// WriteEmulatedConfig writes dir/config.json: five replicas 1.1 ... 5.1 on
// 127.0.0.1 from port base, one per paper site, with the paper matrix's
// mean round trips as emulated_rtt.
func WriteEmulatedConfig(dir, protocol string, base int) error {
	m := sim.WAN(5)
	cfg := paxi.Config{Algorithm: protocol, Params: emulatedParams(protocol), StorageDir: filepath.Join(dir, "state"),
		Tick: paxi.Duration(paxi.DefaultTick), EmulatedRTT: map[paxi.ID]map[paxi.ID]paxi.Duration{}}
	for z := 1; z <= 5; z++ {
		id := paxi.ID(fmt.Sprintf("%d.1", z))
		cfg.Replicas = append(cfg.Replicas, paxi.ReplicaConfig{ID: id,
			Peer: fmt.Sprintf("127.0.0.1:%d", base+z), Client: fmt.Sprintf("127.0.0.1:%d", base+100+z), HTTP: fmt.Sprintf("127.0.0.1:%d", base+200+z)})
		for y := z + 1; y <= 5; y++ {
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

// clientResult is the part of bin/client -json that the comparison reads.
type clientResult struct {
	Ops int
	P50 time.Duration
}

// CompareEmulated reads dir/client-<site>.json (bin/client -json of the
// clients at each site's replica), runs the simulator with the same
// matrix, protocol and load (clients closed-loop writers at every site,
// private keys), and prints both medians per site. It returns the sites
// off by more than EmulatedTolerance.
func CompareEmulated(w io.Writer, dir, protocol string, o Options) ([]string, error) {
	m := sim.WAN(5).Constant()
	cfg := wanConfig(o, protocol, nil, m, 0)
	cfg.Params = emulatedParams(protocol)
	_, res, err := run(cfg)
	if err != nil {
		return nil, err
	}
	var bad []string
	fmt.Fprintf(w, "=== real processes with emulated round trips against the simulator: %s, 5 sites, %d clients a site\n", protocol, o.Clients)
	fmt.Fprintf(w, "%-5s %10s %10s %8s %8s\n", "site", "real p50", "sim p50", "diff", "ops")
	for i, site := range m.Names {
		b, err := os.ReadFile(filepath.Join(dir, "client-"+site+".json"))
		if err != nil {
			return nil, err
		}
		var cr clientResult
		if err := json.Unmarshal(b, &cr); err != nil {
			return nil, fmt.Errorf("%s: %v", site, err)
		}
		simP50 := res.Sites[i].P50
		diff := 100 * (Ms(cr.P50) - Ms(simP50)) / Ms(simP50)
		fmt.Fprintf(w, "%-5s %10.1f %10.1f %+7.1f%% %8d\n", site, Ms(cr.P50), Ms(simP50), diff, cr.Ops)
		if abs(diff) > EmulatedTolerance || cr.Ops == 0 {
			bad = append(bad, fmt.Sprintf("%s at %s: real %.1f ms, simulated %.1f ms (%+.1f%%)", protocol, site, Ms(cr.P50), Ms(simP50), diff))
		}
	}
	return bad, nil
}
