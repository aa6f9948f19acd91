package chaos

import (
	"sort"
	"time"

	"github.com/agora-consensus/agora/checker"
)

// Availability is the throughput of one run over time.
type Availability struct {
	Per100ms  []int   `json:"per_100ms"`  // acknowledged operations returning in each 100 ms from the start of the load
	PerSecond []int   `json:"per_second"` // the same per whole second
	Median    float64 `json:"median_per_second"`
	// WorstSecond is the second (from the start of the load) with the
	// fewest acknowledged operations among those from the one holding the
	// first kill to the end; Worst is its count and Fraction Worst/Median.
	WorstSecond int     `json:"worst_second"`
	Worst       int     `json:"worst_ops"`
	Fraction    float64 `json:"worst_fraction_of_median"`
	// BelowHalf lists the seconds from the first kill on with fewer than
	// half the median's operations: how often, not just how badly, the
	// run fell short.
	BelowHalf []int `json:"seconds_below_half_median"`
}

// Measure buckets the acknowledged operations of ops (times in ns from the
// start of the load) that returned within the first duration. Only whole
// seconds count for the median and the worst second; a run with no kill
// has the worst second of the whole run.
func Measure(ops []checker.Operation, duration, firstKill time.Duration) Availability {
	var a Availability
	a.Per100ms = make([]int, int(duration/(100*time.Millisecond)))
	a.PerSecond = make([]int, int(duration/time.Second))
	for _, o := range ops {
		if o.Pending() || o.Return >= int64(duration) {
			continue
		}
		if b := int(o.Return / int64(100*time.Millisecond)); b < len(a.Per100ms) {
			a.Per100ms[b]++
		}
		if s := int(o.Return / int64(time.Second)); s < len(a.PerSecond) {
			a.PerSecond[s]++
		}
	}
	if len(a.PerSecond) == 0 {
		return a
	}
	a.Median = median(a.PerSecond)
	from := 0
	if firstKill > 0 {
		from = min(int(firstKill/time.Second), len(a.PerSecond)-1)
	}
	a.WorstSecond, a.Worst = from, a.PerSecond[from]
	for s := from; s < len(a.PerSecond); s++ {
		if a.PerSecond[s] < a.Worst {
			a.WorstSecond, a.Worst = s, a.PerSecond[s]
		}
		if float64(a.PerSecond[s]) < a.Median/2 {
			a.BelowHalf = append(a.BelowHalf, s)
		}
	}
	if a.Median > 0 {
		a.Fraction = float64(a.Worst) / a.Median
	}
	return a
}

func median(xs []int) float64 {
	s := append([]int(nil), xs...)
	sort.Ints(s)
	n := len(s)
	if n%2 == 1 {
		return float64(s[n/2])
	}
	return float64(s[n/2-1]+s[n/2]) / 2
}

// LostWrites returns the acknowledged puts that the final reads show were
// lost: a key whose final value is a put that returned before the
// acknowledged put was even called (so the later write should have
// replaced it), or a final value no put wrote, or "" although some put
// on the key was acknowledged. final maps each key to the value the
// replicas agreed on. The linearizability check of the history with the
// final reads covers this too; this names the writes.
func LostWrites(ops []checker.Operation, final map[string]string) []checker.Operation {
	byValue := map[string]checker.Operation{}
	for _, o := range ops {
		if o.Op == "put" {
			byValue[o.Key+"\x00"+o.Value] = o
		}
	}
	var lost []checker.Operation
	for _, o := range ops {
		v, ok := final[o.Key]
		if o.Op != "put" || o.Pending() || !ok {
			continue
		}
		if v == "" {
			lost = append(lost, o)
			continue
		}
		w, found := byValue[o.Key+"\x00"+v]
		if !found || (!w.Pending() && w.Return < o.Call) {
			lost = append(lost, o)
		}
	}
	return lost
}
