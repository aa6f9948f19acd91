package stats

import (
	"math/bits"
	"time"
)

// subBits sets the histogram's resolution: values below 1<<subBits (256
// ns) are counted exactly, larger ones in buckets 1/128 of their octave
// wide, so a reported value is within 0.4% of the true one (the bucket's
// middle is reported). HdrHistogram does the same with more knobs; this is
// 60 lines, needs no new dependency, and its error bound is what a latency
// report needs.
const (
	subBits = 8
	half    = 1 << (subBits - 1)
	buckets = (64-subBits)*half + 2*half
)

// Histogram counts durations (ns) in log-linear buckets: about 60 KiB
// whatever the number of samples. It is not safe for concurrent use.
type Histogram struct {
	counts   []uint64
	n        uint64
	sum      float64
	min, max time.Duration
}

// NewHistogram returns an empty histogram.
func NewHistogram() *Histogram { return &Histogram{counts: make([]uint64, buckets)} }

func bucketOf(v uint64) int {
	if v < 1<<subBits {
		return int(v)
	}
	e := bits.Len64(v) - subBits
	return e*half + int(v>>e)
}

// bounds returns the smallest and largest value of bucket i.
func bounds(i int) (lo, hi uint64) {
	if i < 1<<subBits {
		return uint64(i), uint64(i)
	}
	e := i/half - 1
	lo = uint64(i-e*half) << e
	return lo, lo + 1<<e - 1
}

// Record adds one sample; a negative duration counts as 0.
func (h *Histogram) Record(d time.Duration) {
	d = max(d, 0)
	h.counts[bucketOf(uint64(d))]++
	if h.n == 0 || d < h.min {
		h.min = d
	}
	h.max = max(h.max, d)
	h.n++
	h.sum += float64(d)
}

// Merge adds o's samples to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.n += o.n
	h.sum += o.sum
}

// Reset empties h.
func (h *Histogram) Reset() { clear(h.counts); h.n, h.sum, h.min, h.max = 0, 0, 0, 0 }

// Count is the number of samples.
func (h *Histogram) Count() int { return int(h.n) }

// Max is the largest sample, exactly.
func (h *Histogram) Max() time.Duration { return h.max }

// Mean is the samples' mean, exactly.
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.sum / float64(h.n))
}

// Percentile is the p-quantile by Rank: the middle of the bucket holding
// the Rank(p, n)-th sample, within the observed min and max.
func (h *Histogram) Percentile(p float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	k := uint64(Rank(p, int(h.n)))
	var seen uint64
	for i, c := range h.counts {
		if seen += c; seen > k {
			lo, hi := bounds(i)
			v := time.Duration(lo + (hi-lo)/2)
			return min(max(v, h.min), h.max)
		}
	}
	return h.max
}

// CDF returns up to points (latency, fraction of samples at or below it)
// pairs, one per non-empty bucket, thinned evenly: what a CDF plot needs.
func (h *Histogram) CDF() (lat []time.Duration, frac []float64) {
	var seen uint64
	for i, c := range h.counts {
		if c == 0 {
			continue
		}
		seen += c
		_, hi := bounds(i)
		lat = append(lat, min(time.Duration(hi), h.max))
		frac = append(frac, float64(seen)/float64(h.n))
	}
	return lat, frac
}
