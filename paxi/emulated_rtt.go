package paxi

import (
	"fmt"
	"time"
)

// maxEmulatedRTT bounds one emulated round trip; the longest between two
// regions of data/latency is about 330 ms, so anything near this is a typo.
const maxEmulatedRTT = 10 * time.Second

// validateEmulatedRTT checks emulated_rtt against the replicas in seen:
// known ids, no replica paired with itself, durations in [0, 10s], and a
// pair given both ways with the same value.
func (c *Config) validateEmulatedRTT(seen map[ID]bool) error {
	for a, row := range c.EmulatedRTT {
		field := fmt.Sprintf("emulated_rtt.%s", a)
		if !seen[a] {
			return &ConfigError{field, fmt.Errorf("%s is not a replica of this configuration", a)}
		}
		for b, d := range row {
			field := fmt.Sprintf("emulated_rtt.%s.%s", a, b)
			switch {
			case !seen[b]:
				return &ConfigError{field, fmt.Errorf("%s is not a replica of this configuration", b)}
			case a == b:
				return &ConfigError{field, fmt.Errorf("a replica has no round trip to itself")}
			case d < 0 || d.D() > maxEmulatedRTT:
				return &ConfigError{field, fmt.Errorf("%v is outside 0..%v", d.D(), maxEmulatedRTT)}
			}
			if back, ok := c.EmulatedRTT[b][a]; ok && back != d {
				return &ConfigError{field, fmt.Errorf("%v here but %v for %s -> %s: give the pair once, or equal", d.D(), back.D(), b, a)}
			}
		}
	}
	return nil
}

// EmulatedDelay is how long from holds back each message to to under
// emulated_rtt: half the pair's round-trip time, 0 if none is given.
func (c *Config) EmulatedDelay(from, to ID) time.Duration {
	if d, ok := c.EmulatedRTT[from][to]; ok {
		return d.D() / 2
	}
	return c.EmulatedRTT[to][from].D() / 2
}
