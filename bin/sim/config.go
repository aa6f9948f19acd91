package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/sim"
)

// fileConfig is the JSON configuration bin/sim reads with -config. Flags
// given on the command line override it. Durations are strings ("10s").
type fileConfig struct {
	Protocol  string            `json:"protocol"`
	Params    json.RawMessage   `json:"params,omitempty"`
	Replicas  []paxi.ID         `json:"replicas,omitempty"`
	N         int               `json:"n,omitempty"`
	Sites     []string          `json:"sites,omitempty"`
	Latency   string            `json:"latency,omitempty"`
	Constant  bool              `json:"constant,omitempty"`
	DataDir   string            `json:"data_dir,omitempty"`
	Tick      paxi.Duration     `json:"tick,omitempty"`
	CPU       cpuJSON           `json:"cpu,omitempty"`
	Bandwidth float64           `json:"bandwidth,omitempty"`
	Links     sim.LinkFaults    `json:"links,omitempty"`
	Clients   int               `json:"clients,omitempty"`
	ClientsAt map[paxi.ID]int   `json:"clients_at,omitempty"`
	Keys      int               `json:"keys,omitempty"`
	Conflict  float64           `json:"conflicts,omitempty"` // percentage, 0..100
	Writes    float64           `json:"writes,omitempty"`
	Think     paxi.Duration     `json:"think,omitempty"`
	Rate      float64           `json:"rate,omitempty"` // open loop: commands per second per replica
	Zipf      float64           `json:"zipf,omitempty"` // Zipf exponent of the shared keys (0: uniform)
	Timeout   paxi.Duration     `json:"timeout,omitempty"`
	Duration  paxi.Duration     `json:"duration,omitempty"`
	Warmup    paxi.Duration     `json:"warmup,omitempty"`
	Seed      int64             `json:"seed,omitempty"`
	Schedule  []sim.Action      `json:"schedule,omitempty"`
	Random    *sim.RandomFaults `json:"random,omitempty"`
	Liveness  paxi.Duration     `json:"liveness,omitempty"`
	Codec     bool              `json:"codec,omitempty"`
	MaxBatch  int               `json:"max_batch,omitempty"`

	// OldConflict is the fraction "conflict" used to be, refused with a
	// hint rather than read as a percentage a hundredth of what was meant.
	OldConflict *float64 `json:"conflict,omitempty"`
}

// cpuJSON is sim.CPU with durations written as strings.
type cpuJSON struct {
	Message paxi.Duration `json:"message,omitempty"`
	Send    paxi.Duration `json:"send,omitempty"`
	Execute paxi.Duration `json:"execute,omitempty"`
	Persist paxi.Duration `json:"persist,omitempty"`
}

func (c cpuJSON) cpu() sim.CPU {
	return sim.CPU{Message: c.Message.D(), Send: c.Send.D(), Execute: c.Execute.D(), Persist: c.Persist.D()}
}

func readConfig(path string) (fileConfig, error) {
	var fc fileConfig
	b, err := os.ReadFile(path)
	if err != nil {
		return fc, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fc); err != nil {
		return fc, fmt.Errorf("%s: %w", path, err)
	}
	return fc, nil
}

// matrix builds the latency matrix: the paper's sites by name (CA, VA, EU,
// OR, JP), AWS regions from the data directory, or a LAN.
func (fc *fileConfig) matrix(n int) (sim.Matrix, error) {
	var m sim.Matrix
	switch {
	case fc.Latency == "lan":
		m = sim.LAN(n)
	case len(fc.Sites) > 0:
		regions := make([]string, len(fc.Sites))
		paper := true
		for i, s := range fc.Sites {
			r, ok := sim.PaperRegions[strings.ToUpper(s)]
			if !ok {
				paper = false
				r = s
			}
			regions[i] = r
		}
		if paper && isPrefix(fc.Sites, sim.PaperSites) {
			m = sim.WAN(len(fc.Sites))
			break
		}
		rtts, err := sim.LoadRTTs(fc.DataDir)
		if err != nil {
			return m, err
		}
		if m, err = rtts.Matrix(regions...); err != nil {
			return m, err
		}
		m.Names = fc.Sites
	case fc.Latency == "wan" || fc.Latency == "":
		if n > len(sim.PaperSites) {
			return m, fmt.Errorf("the wide-area matrix has %d sites; give -sites or -latency lan for %d replicas", len(sim.PaperSites), n)
		}
		m = sim.WAN(n)
	default:
		return m, fmt.Errorf("latency %q: want wan or lan", fc.Latency)
	}
	if fc.Constant {
		m = m.Constant()
	}
	return m, nil
}

func isPrefix(a, b []string) bool {
	if len(a) > len(b) {
		return false
	}
	for i := range a {
		if !strings.EqualFold(a[i], b[i]) {
			return false
		}
	}
	return true
}

// simConfig turns the file configuration into one simulator configuration.
func (fc *fileConfig) simConfig(protocol string) (sim.Config, error) {
	n := fc.N
	if len(fc.Replicas) > 0 {
		n = len(fc.Replicas)
	} else if len(fc.Sites) > 0 {
		n = len(fc.Sites)
	}
	zones := n
	for _, id := range fc.Replicas {
		zones = max(zones, id.Zone())
	}
	m, err := fc.matrix(zones)
	if err != nil {
		return sim.Config{}, err
	}
	cfg := sim.Config{
		Protocol: protocol,
		Params:   fc.Params,
		Replicas: fc.Replicas,
		N:        n,
		Seed:     fc.Seed,
		Tick:     fc.Tick.D(),
		Latency:  m,
		Network:  sim.Network{Bandwidth: fc.Bandwidth, Faults: fc.Links},
		CPU:      fc.CPU.cpu(),
		MaxBatch: fc.MaxBatch,
		Workload: sim.Workload{
			Clients: fc.Clients, ClientsAt: fc.ClientsAt, Keys: fc.Keys, Conflict: fc.Conflict / 100,
			Writes: fc.Writes, Think: fc.Think.D(), Timeout: fc.Timeout.D(), Rate: fc.Rate, Zipf: fc.Zipf,
		},
		Duration: fc.Duration.D(),
		Warmup:   fc.Warmup.D(),
		Schedule: fc.Schedule,
		Random:   fc.Random,
		Check:    sim.Checks{Liveness: fc.Liveness.D()},
	}
	if fc.Codec {
		cfg.Codec = codec
	}
	if cfg.Random != nil && cfg.Random.Stop == 0 {
		d := cfg.Duration
		if d == 0 {
			d = 5 * time.Second
		}
		cfg.Random.Stop = d * 3 / 4
	}
	return cfg, nil
}
