// Package stats holds the latency figures shared by the benchmark and the
// simulator: one percentile definition, so that a p99 means the same
// sample in both, and a log-linear histogram of bounded memory for runs
// too long to keep every latency.
package stats

import (
	"math"
	"slices"
	"time"
)

// Rank is the nearest-rank percentile: the 0-based index, in the sorted
// samples, of the p-quantile (0 <= p <= 1) of n samples, that is the
// ceil(p*n)-th smallest, clamped to the samples. p50 of 1..100 is 50, p99
// is 99, p100 (and max) is 100. Every percentile Agora prints uses it.
func Rank(p float64, n int) int {
	if n <= 0 {
		return 0
	}
	k := int(math.Ceil(p*float64(n))) - 1
	return min(max(k, 0), n-1)
}

// Percentile returns the p-quantile of sorted (ascending) by Rank; 0 for
// no samples.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[Rank(p, len(sorted))]
}

// Percentiles sorts d in place and returns its quantiles ps by Rank.
func Percentiles(d []time.Duration, ps ...float64) []time.Duration {
	slices.Sort(d)
	out := make([]time.Duration, len(ps))
	for i, p := range ps {
		out[i] = Percentile(d, p)
	}
	return out
}
