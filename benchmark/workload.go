// Package benchmark drives a cluster with a configurable workload and
// reports throughput and latency. The same Workload runs against real
// replica processes (bin/client) and in-process clusters (go test -bench).
package benchmark

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"time"

	"github.com/agora-consensus/agora/paxi"
)

// Workload is what benchmark.json holds.
type Workload struct {
	// Duration is how long the load runs after the warm-up.
	Duration paxi.Duration `json:"duration"`
	// Warmup runs the load without measuring it first.
	Warmup paxi.Duration `json:"warmup"`
	// Clients is the number of connections per target replica.
	Clients int `json:"clients"`
	// Outstanding is how many commands each client keeps in flight (closed loop).
	Outstanding int `json:"outstanding"`
	// Conflicts is the percentage (0..100) of commands on the one shared
	// key; the others go to keys private to their client, as in the EPaxos
	// paper's interference experiments.
	Conflicts float64 `json:"conflicts"`
	// Writes is the fraction (0..1) of commands that are puts.
	Writes float64 `json:"writes"`
	// ValueSize is the length of written values in bytes (at least the
	// unique prefix v-<client>-<seq>).
	ValueSize int `json:"value_size"`
	// Targets lists the replicas clients connect to; empty means all.
	Targets []paxi.ID `json:"targets,omitempty"`
	// Seed makes key and operation choices repeatable.
	Seed int64 `json:"seed"`
}

// DefaultWorkload is a short closed-loop write workload without conflicts.
func DefaultWorkload() Workload {
	return Workload{
		Duration: paxi.Duration(10 * time.Second), Warmup: paxi.Duration(2 * time.Second),
		Clients: 4, Outstanding: 64, Writes: 1, ValueSize: 16, Seed: 1,
	}
}

// LoadWorkload reads a workload file, filling defaults for absent fields and
// naming the bad field on error.
func LoadWorkload(path string) (Workload, error) {
	w := DefaultWorkload()
	b, err := os.ReadFile(path)
	if err != nil {
		return w, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return w, fmt.Errorf("%s: %w", path, err)
	}
	return w, w.Validate()
}

// Validate checks each field.
func (w Workload) Validate() error {
	switch {
	case w.Duration <= 0:
		return errors.New("workload: duration must be positive")
	case w.Warmup < 0:
		return errors.New("workload: warmup must not be negative")
	case w.Clients < 1:
		return errors.New("workload: clients must be at least 1")
	case w.Outstanding < 1:
		return errors.New("workload: outstanding must be at least 1")
	case w.Conflicts < 0 || w.Conflicts > 100:
		return errors.New("workload: conflicts must be a percentage in 0..100")
	case w.Writes < 0 || w.Writes > 1:
		return errors.New("workload: writes must be a fraction in 0..1")
	case w.ValueSize < 0 || w.ValueSize > 1<<20:
		return errors.New("workload: value_size must be within 0..1MiB")
	}
	return nil
}

// generator picks the commands of one client.
type generator struct {
	w      Workload
	rnd    *rand.Rand
	client int
	seq    int
	own    string // this client's private key
	pad    string
}

func newGenerator(w Workload, client int) *generator {
	pad := ""
	if w.ValueSize > 0 {
		pad = string(bytes.Repeat([]byte{'x'}, w.ValueSize))
	}
	return &generator{w: w, rnd: rand.New(rand.NewSource(w.Seed*7919 + int64(client))), client: client,
		own: "c" + strconv.Itoa(client), pad: pad}
}

// next returns the next command; written values are unique so that a
// recorded history can be checked.
func (g *generator) next() paxi.Command {
	g.seq++
	key := g.own
	if g.rnd.Float64()*100 < g.w.Conflicts {
		key = "hot"
	}
	if g.rnd.Float64() < g.w.Writes {
		v := "v-" + strconv.Itoa(g.client) + "-" + strconv.Itoa(g.seq)
		if len(v) < len(g.pad) {
			v += g.pad[len(v):]
		}
		return paxi.Command{Op: paxi.Put, Key: key, Value: v}
	}
	return paxi.Command{Op: paxi.Get, Key: key}
}
