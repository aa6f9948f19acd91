package evaluation

import (
	"fmt"
	"io"
	"strings"
)

// PrintWideArea writes the per-site table: for each series, the median at
// every site, its optimum and the difference.
func PrintWideArea(w io.Writer, f *WideArea) {
	fmt.Fprintf(w, "=== wide area, %d sites (%s): median commit latency (ms), optimum, difference\n", len(f.Sites), strings.Join(f.Sites, " "))
	fmt.Fprintf(w, "%-24s %9s", "series", "tput/s")
	for _, s := range f.Sites {
		fmt.Fprintf(w, " %22s", s+" p50/opt/diff")
	}
	fmt.Fprintln(w)
	for _, sr := range f.Series {
		mark := " "
		if sr.Checked {
			mark = "*"
		}
		fmt.Fprintf(w, "%-23s%s %9.1f", sr.Name, mark, sr.Throughput)
		for _, row := range sr.Sites {
			fmt.Fprintf(w, " %22s", fmt.Sprintf("%.1f/%.1f/%+.1f%%", row.MedianMs, row.OptimumMs, row.DiffPct))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "(* checked: within %.0f%% of the optimum at every site; (mean): every link at its mean delay, as the optimum assumes; \"mencius alone\" loads one site at a time)\n", Tolerance)
	for _, sr := range f.Series {
		if sr.Protocol == "epaxos" && !sr.MeanDelays {
			fmt.Fprintf(w, "%s: fast path %.1f%% of instances\n", sr.Name, 100*sr.FastPath)
		}
	}
	for _, msg := range f.Failures {
		fmt.Fprintln(w, "FAIL", msg)
	}
	fmt.Fprintln(w)
}
