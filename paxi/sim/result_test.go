package sim

import (
	"math/rand"
	"slices"
	"testing"
	"time"

	"github.com/agora-consensus/agora/stats"
)

// summarize picks the same percentiles as sorting and indexing would.
func TestSummarizeMatchesSortedPercentiles(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, n := range []int{1, 2, 3, 7, 100, 1000, 100000} {
		for _, spread := range []int{1, 3, 1000, 1 << 40} {
			d := make([]time.Duration, n)
			for i := range d {
				d[i] = time.Duration(rng.Int63n(int64(spread)))
			}
			if spread == 1000 && n > 3 {
				slices.Sort(d[:n/2]) // a sorted run, as latencies often come
			}
			sorted := slices.Clone(d)
			slices.Sort(sorted)
			q := func(p float64) time.Duration { return stats.Percentile(sorted, p) } // the definition bin/client uses
			var sum time.Duration
			for _, x := range sorted {
				sum += x
			}
			want := SiteLatency{Site: "s", Count: n, Mean: sum / time.Duration(n),
				P50: q(0.50), P90: q(0.90), P99: q(0.99), Max: sorted[n-1]}
			if got := summarize("s", d); got != want {
				t.Fatalf("n=%d spread=%d: got %+v, want %+v", n, spread, got, want)
			}
		}
	}
}
