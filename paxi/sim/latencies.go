package sim

import (
	"slices"
	"time"
)

// Latencies returns a copy of the measured commands' latencies, by site in
// the order of Result.Sites, for figures that need the whole distribution
// (CDFs, p99.9) rather than Result's percentiles.
func (s *Sim) Latencies() map[string][]time.Duration {
	out := make(map[string][]time.Duration, len(s.stats.sites))
	for i, site := range s.stats.sites {
		out[site] = slices.Clone(s.stats.lat[i])
	}
	return out
}

// Completed counts the client commands answered so far, measured or not;
// a caller running the clock in steps reads throughput over time from it.
func (s *Sim) Completed() uint64 { return s.completed }
