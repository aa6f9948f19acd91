package stats

import (
	"math/rand"
	"slices"
	"testing"
	"time"
)

// TestRankIsNearestRank pins the one definition: the ceil(p*n)-th smallest.
func TestRankIsNearestRank(t *testing.T) {
	cases := []struct {
		p    float64
		n    int
		want int
	}{{0.5, 100, 49}, {0.99, 100, 98}, {1, 100, 99}, {0, 100, 0}, {0.5, 1, 0}, {0.99, 1000, 989}, {0.5, 3, 1}, {0.9, 7, 6}}
	for _, c := range cases {
		if got := Rank(c.p, c.n); got != c.want {
			t.Errorf("Rank(%g, %d) = %d, want %d", c.p, c.n, got, c.want)
		}
	}
}

// TestHistogramAgreesWithTheExactPercentiles: on a million log-normal
// latencies the histogram's percentiles are within 0.4% of the exact
// ones of the same definition, and the count, mean and max are exact.
func TestHistogramAgreesWithTheExactPercentiles(t *testing.T) {
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewSource(seed))
	h := NewHistogram()
	var all []time.Duration
	var sum float64
	for i := 0; i < 1_000_000; i++ {
		d := time.Duration(50e3 * rng.ExpFloat64() * (1 + rng.NormFloat64()*0.1))
		d = max(d, 0)
		all = append(all, d)
		sum += float64(d)
		h.Record(d)
	}
	slices.Sort(all)
	for _, p := range []float64{0.01, 0.5, 0.9, 0.95, 0.99, 0.999, 1} {
		exact, got := Percentile(all, p), h.Percentile(p)
		if diff := float64(got-exact) / float64(max(exact, 1)); diff > 0.004 || diff < -0.004 {
			t.Errorf("seed %d: p%g = %v, exact %v", seed, 100*p, got, exact)
		}
	}
	if h.Count() != len(all) || h.Max() != all[len(all)-1] || h.Mean() != time.Duration(sum/float64(len(all))) {
		t.Errorf("seed %d: count %d max %v mean %v", seed, h.Count(), h.Max(), h.Mean())
	}
}

// TestBucketsTileTheValues: every value falls in the bucket whose bounds
// hold it, and buckets are contiguous.
func TestBucketsTileTheValues(t *testing.T) {
	prevHi := uint64(0)
	for i := 1; i < buckets; i++ {
		lo, hi := bounds(i)
		if lo != prevHi+1 || hi < lo {
			t.Fatalf("bucket %d = [%d, %d] after %d", i, lo, hi, prevHi)
		}
		if bucketOf(lo) != i || bucketOf(hi) != i {
			t.Fatalf("bucket %d: bucketOf(%d)=%d bucketOf(%d)=%d", i, lo, bucketOf(lo), hi, bucketOf(hi))
		}
		prevHi = hi
		if hi > 1<<62 {
			break
		}
	}
}

func TestMergeAddsUp(t *testing.T) {
	a, b := NewHistogram(), NewHistogram()
	for i := 1; i <= 100; i++ {
		a.Record(time.Duration(i))
		b.Record(time.Duration(100 + i))
	}
	a.Merge(b)
	if a.Count() != 200 || a.Percentile(0.5) != 100 || a.Max() != 200 {
		t.Fatalf("merged: n=%d p50=%v max=%v", a.Count(), a.Percentile(0.5), a.Max())
	}
}
