package main

import (
	"fmt"
	"time"
)

// Bounds on sizes, so that a typo cannot make the simulator allocate until
// the machine runs out of memory.
const (
	maxReplicas = 1000
	maxClients  = 100000
)

// validate refuses values out of range, naming the flag (a -config file's
// field has the flag's name). given reports whether a flag's value stands:
// set on the command line, or no -config file. A zero that a file leaves
// out takes the simulator's default, but a zero given as a flag is refused.
func (fc *fileConfig) validate(given func(flag string) bool) error {
	if fc.OldConflict != nil {
		return fmt.Errorf(`config: "conflict" (a fraction) is now "conflicts", a percentage in 0..100: write "conflicts": %g`, *fc.OldConflict*100)
	}
	if len(fc.Replicas) == 0 && len(fc.Sites) == 0 && (fc.N < 1 || fc.N > maxReplicas) {
		return fmt.Errorf("-n %d: want 1 to %d replicas", fc.N, maxReplicas)
	}
	counts := []struct {
		flag string
		v    int
		max  int
	}{
		{"clients", fc.Clients, maxClients},
		{"keys", fc.Keys, 1 << 30},
	}
	for _, c := range counts {
		if c.v < 0 || c.v > c.max || (c.v == 0 && given(c.flag)) {
			return fmt.Errorf("-%s %d: want 1 to %d", c.flag, c.v, c.max)
		}
	}
	fractions := []struct {
		flag string
		v    float64
		max  float64
		what string
	}{
		{"conflicts", fc.Conflict, 100, "a percentage in 0..100"},
		{"writes", fc.Writes, 1, "a fraction in 0..1"},
		{"drop", fc.Links.Drop, 1, "a probability in 0..1"},
		{"duplicate", fc.Links.Duplicate, 1, "a probability in 0..1"},
	}
	for _, f := range fractions {
		if !(f.v >= 0 && f.v <= f.max) { // also refuses NaN
			return fmt.Errorf("-%s %g: want %s", f.flag, f.v, f.what)
		}
	}
	for _, f := range []struct {
		flag string
		v    float64
	}{{"rate", fc.Rate}, {"zipf", fc.Zipf}} {
		if !(f.v >= 0) || f.v > 1e9 {
			return fmt.Errorf("-%s %g: want 0 or a positive number", f.flag, f.v)
		}
	}
	if !(fc.Bandwidth >= 0) {
		return fmt.Errorf("-bandwidth %g: want bytes per second, 0 for unlimited", fc.Bandwidth)
	}
	durations := []struct {
		flag     string
		v        time.Duration
		positive bool // zero given as a flag is refused
	}{
		{"tick", fc.Tick.D(), true},
		{"duration", fc.Duration.D(), true},
		{"liveness", fc.Liveness.D(), true},
		{"warmup", fc.Warmup.D(), false},
		{"think", fc.Think.D(), false},
		{"client-timeout", fc.Timeout.D(), false},
		{"cpu-message", fc.CPU.Message.D(), false},
		{"cpu-send", fc.CPU.Send.D(), false},
		{"cpu-execute", fc.CPU.Execute.D(), false},
		{"cpu-persist", fc.CPU.Persist.D(), false},
	}
	for _, d := range durations {
		if d.v < 0 || (d.positive && d.v == 0 && given(d.flag)) {
			return fmt.Errorf("-%s %v: want a positive duration", d.flag, d.v)
		}
	}
	if fc.Random != nil && (fc.Random.Stop < 0 || fc.Random.Quiesce < 0) {
		return fmt.Errorf("-faults-stop %v, -quiesce %v: want positive durations", fc.Random.Stop, fc.Random.Quiesce)
	}
	// The simulator runs 5 s when the duration is left out.
	if d := fc.Duration.D(); d == 0 && 5*time.Second <= fc.Warmup.D() || d > 0 && d <= fc.Warmup.D() {
		return fmt.Errorf("-duration %v must be longer than -warmup %v: nothing would be measured", d, fc.Warmup.D())
	}
	return nil
}
