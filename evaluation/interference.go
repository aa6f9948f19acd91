package evaluation

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/agora-consensus/agora/paxi/sim"
)

// Interference is EPaxos on the five sites at increasing interference (the
// paper's wide-area latency figure at 0, 2, 25 and 100%, and its
// throughput against conflict rate).
type Interference struct {
	Sites  []string `json:"sites"`
	Series []Series `json:"series"`
}

// Conflicts are the interference levels of the sweep, in percent.
var Conflicts = []float64{0, 2, 25, 100}

// RunInterference runs EPaxos at each level of Conflicts.
func RunInterference(o Options) (*Interference, error) {
	m := sim.WAN(5)
	f := &Interference{Sites: m.Names}
	for _, c := range Conflicts {
		_, res, err := run(wanConfig(o, "epaxos", nil, m, c/100))
		if err != nil {
			return nil, err
		}
		sr := series(fmt.Sprintf("epaxos %g%%", c), res, m, func(z int) time.Duration { return EPaxosFast(m, z, true) })
		sr.Conflict, sr.FastPath, sr.Optimum = c, fastPathFraction(res), "epaxos-fast-optimized"
		f.Series = append(f.Series, sr)
	}
	return f, nil
}

// PrintInterference writes median and p99 per site and the fast-path share.
func PrintInterference(w io.Writer, f *Interference) {
	fmt.Fprintf(w, "=== interference, EPaxos, 5 sites: median / p99 (ms) per site, fast-path share, throughput\n")
	fmt.Fprintf(w, "%-13s", "conflicts")
	for _, s := range f.Sites {
		fmt.Fprintf(w, " %15s", s)
	}
	fmt.Fprintf(w, " %9s %9s\n", "fast", "tput/s")
	for _, sr := range f.Series {
		fmt.Fprintf(w, "%-13s", fmt.Sprintf("%g%%", sr.Conflict))
		for _, row := range sr.Sites {
			fmt.Fprintf(w, " %15s", fmt.Sprintf("%.1f/%.1f", row.MedianMs, row.P99Ms))
		}
		fmt.Fprintf(w, " %8.1f%% %9.1f\n", 100*sr.FastPath, sr.Throughput)
	}
	fmt.Fprintln(w)
}

// Leader is Multi-Paxos with its leader at each site in turn: the paper's
// point that Multi-Paxos's latency depends on where the leader is and
// EPaxos's does not.
type Leader struct {
	Sites []string `json:"sites"`
	// Series[i] has the leader at Sites[i]; its rows are in Sites order.
	Series []Series `json:"series"`
}

// RunLeader runs Multi-Paxos on the five sites once per leader site, every
// link at its mean delay (placement, not jitter, is the question). The
// protocol's first leader is replica 1.1, so each run reorders the matrix
// to put the leader's site in zone 1; rows come back in paper order.
func RunLeader(o Options) (*Leader, error) {
	base := sim.WAN(5).Constant()
	f := &Leader{Sites: base.Names}
	for l := range 5 {
		order := []int{l}
		for z := range 5 {
			if z != l {
				order = append(order, z)
			}
		}
		m := permute(base, order)
		_, res, err := run(wanConfig(o, "multipaxos", nil, m, 0))
		if err != nil {
			return nil, err
		}
		sr := series("multipaxos leader "+base.Names[l], res, m, func(z int) time.Duration { return MultiPaxos(m, z, 1) })
		sr.Optimum = "multipaxos-leader-" + base.Names[l]
		byName := map[string]SiteRow{}
		for _, row := range sr.Sites {
			byName[row.Site] = row
		}
		sr.Sites = sr.Sites[:0]
		for _, s := range base.Names {
			sr.Sites = append(sr.Sites, byName[s])
		}
		f.Series = append(f.Series, sr)
	}
	return f, nil
}

// mean is the mean of the site medians of a series.
func (sr Series) mean() float64 {
	v := 0.0
	for _, row := range sr.Sites {
		v += row.MedianMs
	}
	return v / float64(len(sr.Sites))
}

// worstDiff is the largest |diff| of a series, in percent.
func (sr Series) worstDiff() float64 {
	w := 0.0
	for _, row := range sr.Sites {
		w = max(w, abs(row.DiffPct))
	}
	return w
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// PrintLeader writes one row per leader site: the median per site and the
// mean over sites.
func PrintLeader(w io.Writer, f *Leader) {
	fmt.Fprintf(w, "=== Multi-Paxos leader placement, 5 sites, mean delays: median (ms) per client site, leader at each site in turn\n")
	fmt.Fprintf(w, "%-10s %s %9s %9s\n", "leader", strings.Join(pad(f.Sites, 9), " "), "mean", "max|diff|")
	for i, sr := range f.Series {
		var cells []string
		for _, row := range sr.Sites {
			cells = append(cells, fmt.Sprintf("%9.1f", row.MedianMs))
		}
		fmt.Fprintf(w, "%-10s %s %9.1f %8.1f%%\n", f.Sites[i], strings.Join(cells, " "), sr.mean(), sr.worstDiff())
	}
	fmt.Fprintln(w)
}

func pad(ss []string, n int) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%*s", n, s)
	}
	return out
}
