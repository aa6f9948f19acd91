// Package benchmark drives a cluster with a configurable workload and
// reports throughput and latency. The same Workload runs against real
// replica processes (bin/client, bin/bench) and in-process clusters (go
// test -bench).
package benchmark

import (
	"errors"
	"fmt"
	"time"

	"github.com/agora-consensus/agora/paxi"
)

// Workload is what benchmark.json holds. Paxi's field names (T, N, K, W,
// Throttle, Concurrency, Distribution, ...) are accepted too; see
// LoadWorkload.
type Workload struct {
	// Duration is how long the load runs after the warm-up.
	Duration paxi.Duration `json:"duration"`
	// Warmup runs the load without measuring it first.
	Warmup paxi.Duration `json:"warmup"`
	// Requests, when positive, ends the run once that many commands were
	// measured (Paxi's N); Duration still bounds it.
	Requests int `json:"requests,omitempty"`
	// Clients is the number of connections per target replica.
	Clients int `json:"clients"`
	// Concurrency, when positive, is the total number of connections,
	// spread round-robin over the targets (Paxi's Concurrency); it
	// replaces Clients.
	Concurrency int `json:"concurrency,omitempty"`
	// ClientsPerZone places connections in zones ("1": 4 is four clients
	// in zone 1), each sending to the replica TargetPolicy picks; it
	// replaces Clients and Concurrency.
	ClientsPerZone map[string]int `json:"clients_per_zone,omitempty"`
	// TargetPolicy picks a zone-placed client's replica: local (one of its
	// zone, the default), nearest (its zone's, else the closest zone
	// number's), random (seeded), leader (Leader, default the first
	// target; without ClientsPerZone it sends every connection there).
	TargetPolicy string  `json:"target_policy,omitempty"`
	Leader       paxi.ID `json:"leader,omitempty"`
	// Outstanding is how many commands each client keeps in flight (closed
	// loop); ignored in open loop.
	Outstanding int `json:"outstanding"`
	// Rate, when positive, runs an open loop: that many commands per second
	// over all connections, arriving as Arrival says, each one's latency
	// measured from when it should have been sent.
	Rate float64 `json:"rate,omitempty"`
	// Arrival is poisson (exponential gaps, the default) or fixed.
	Arrival string `json:"arrival,omitempty"`
	// ThinkTime is a closed-loop client's pause between a reply and its
	// next command.
	ThinkTime paxi.Duration `json:"think_time,omitempty"`
	// Distribution chooses keys: epaxos (the default: Conflicts percent on
	// one shared key, the rest on a key private to the client, as in the
	// EPaxos paper), or Paxi's uniform, order, conflict (Conflicts percent
	// on key 0, the rest in order), normal (Mu, Sigma, Move, Speed),
	// zipfian (ZipfianS, ZipfianV) and exponential (Lambda), over Keys keys
	// from MinKey.
	Distribution string  `json:"distribution,omitempty"`
	Conflicts    float64 `json:"conflicts"`
	Keys         int     `json:"keys,omitempty"`
	MinKey       int     `json:"min_key,omitempty"`
	Mu           float64 `json:"mu,omitempty"`
	Sigma        float64 `json:"sigma,omitempty"`
	// Move shifts the normal distribution's mean by one key every Speed.
	Move     bool          `json:"move,omitempty"`
	Speed    paxi.Duration `json:"speed,omitempty"`
	ZipfianS float64       `json:"zipfian_s,omitempty"`
	ZipfianV float64       `json:"zipfian_v,omitempty"`
	Lambda   float64       `json:"lambda,omitempty"`
	// Writes is the fraction (0..1) of commands that are puts ("reads" in
	// a file sets 1 - writes).
	Writes float64 `json:"writes"`
	// KeySize pads keys to this many bytes.
	KeySize int `json:"key_size,omitempty"`
	// ValueSize is the length of written values in bytes (at least the
	// unique prefix v-<client>-<seq>).
	ValueSize int `json:"value_size"`
	// Targets lists the replicas clients connect to; empty means all.
	Targets []paxi.ID `json:"targets,omitempty"`
	// Seed makes key and operation choices repeatable.
	Seed int64 `json:"seed"`
	// Check records the history and checks it for linearizability at the
	// end (Paxi's LinearizabilityCheck).
	Check bool `json:"check,omitempty"`
}

// DefaultWorkload is a short closed-loop write workload without conflicts.
// The Paxi distributions' parameters have Paxi's defaults.
func DefaultWorkload() Workload {
	return Workload{
		Duration: paxi.Duration(10 * time.Second), Warmup: paxi.Duration(2 * time.Second),
		Clients: 4, Outstanding: 64, Writes: 1, ValueSize: 16, Seed: 1,
		Keys: 1000, Sigma: 60, Speed: paxi.Duration(500 * time.Millisecond), ZipfianS: 2, ZipfianV: 1, Lambda: 0.01,
	}
}

// Distributions lists the key distributions by name.
var Distributions = []string{"epaxos", "uniform", "order", "conflict", "normal", "zipfian", "exponential"}

// TargetPolicies lists the values of TargetPolicy.
var TargetPolicies = []string{"local", "nearest", "random", "leader"}

// Validate checks each field.
func (w Workload) Validate() error {
	switch {
	case w.Duration <= 0:
		return errors.New("workload: duration must be positive")
	case w.Warmup < 0:
		return errors.New("workload: warmup must not be negative")
	case w.Requests < 0:
		return errors.New("workload: requests must not be negative")
	case w.Clients < 1:
		return errors.New("workload: clients must be at least 1")
	case w.Concurrency < 0:
		return errors.New("workload: concurrency must not be negative")
	case w.Outstanding < 1:
		return errors.New("workload: outstanding must be at least 1")
	case w.Rate < 0:
		return errors.New("workload: rate must not be negative")
	case w.Arrival != "" && w.Arrival != "poisson" && w.Arrival != "fixed":
		return fmt.Errorf("workload: arrival %q is neither poisson nor fixed", w.Arrival)
	case w.ThinkTime < 0:
		return errors.New("workload: think_time must not be negative")
	case w.Conflicts < 0 || w.Conflicts > 100:
		return errors.New("workload: conflicts must be a percentage in 0..100")
	case w.Writes < 0 || w.Writes > 1:
		return errors.New("workload: writes must be a fraction in 0..1")
	case w.ValueSize < 0 || w.ValueSize > 1<<20:
		return errors.New("workload: value_size must be within 0..1MiB")
	case w.KeySize < 0 || w.KeySize > 1<<16:
		return errors.New("workload: key_size must be within 0..64KiB")
	case w.Keys < 1:
		return errors.New("workload: keys must be at least 1")
	case w.MinKey < 0:
		return errors.New("workload: min_key must not be negative")
	}
	if !oneOf(w.distribution(), Distributions) {
		return fmt.Errorf("workload: distribution %q is not one of %v (zipfan is zipfian)", w.Distribution, Distributions)
	}
	switch w.distribution() {
	case "normal":
		if w.Sigma <= 0 {
			return errors.New("workload: sigma must be positive for the normal distribution")
		}
		if w.Move && w.Speed <= 0 {
			return errors.New("workload: speed must be positive for a moving normal distribution")
		}
	case "zipfian":
		if w.ZipfianS <= 1 || w.ZipfianV < 1 {
			return errors.New("workload: zipfian needs zipfian_s > 1 and zipfian_v >= 1")
		}
	case "exponential":
		if w.Lambda <= 0 {
			return errors.New("workload: lambda must be positive for the exponential distribution")
		}
	}
	if w.TargetPolicy != "" && !oneOf(w.TargetPolicy, TargetPolicies) {
		return fmt.Errorf("workload: target_policy %q is not one of %v", w.TargetPolicy, TargetPolicies)
	}
	for z, n := range w.ClientsPerZone {
		if n < 0 {
			return fmt.Errorf("workload: clients_per_zone %q is negative", z)
		}
		if _, err := fmt.Sscanf(z, "%d", new(int)); err != nil {
			return fmt.Errorf("workload: clients_per_zone key %q is not a zone number", z)
		}
	}
	return nil
}

// distribution is the key distribution's canonical name.
func (w Workload) distribution() string {
	switch w.Distribution {
	case "":
		return "epaxos"
	case "zipfan": // Paxi's spelling
		return "zipfian"
	}
	return w.Distribution
}

// OpenLoop reports whether commands arrive at a rate instead of on replies.
func (w Workload) OpenLoop() bool { return w.Rate > 0 }

func oneOf(s string, set []string) bool {
	for _, x := range set {
		if s == x {
			return true
		}
	}
	return false
}
