package checker

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"slices"
	"sort"
)

// maxTimelineOps bounds how many operations a timeline draws, so that a
// violation in a long history still gives a readable page.
const maxTimelineOps = 400

// WriteHTML writes a self-contained HTML page explaining res: the text of
// res.String() and an SVG timeline of the operations on res.Key around the
// violation, one row per client, with the operations that cannot be
// linearized drawn in red and numbered as in the text. ops must be the
// history that was checked. For a result that is not Illegal it writes the
// text alone.
func WriteHTML(w io.Writer, ops []Operation, res Result) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>linearizability: %s</title>\n", res.Verdict)
	fmt.Fprint(bw, "<style>body{font-family:sans-serif} pre{white-space:pre-wrap} text{font-size:11px;font-family:monospace}</style></head><body>\n")
	fmt.Fprintf(bw, "<pre>%s</pre>\n", html.EscapeString(res.String()))
	if res.Verdict == Illegal && len(res.Indices) > 0 {
		writeTimeline(bw, ops, res)
	}
	fmt.Fprint(bw, "</body></html>\n")
	return bw.Flush()
}

// writeTimeline draws the SVG. It shows the operations on the key that
// overlap the violation's time span widened by half its length on each
// side, the nearest ones first if there are too many.
func writeTimeline(w io.Writer, ops []Operation, res Result) {
	marked := map[int]int{} // history index -> number in the text
	lo, hi := int64(never), int64(0)
	for k, i := range res.Indices {
		marked[i] = k + 1
		lo = min(lo, ops[i].Call)
		hi = max(hi, end(ops[i], ops[i].Call))
	}
	margin := max((hi-lo)/2, 1)
	from, to := max(lo-margin, 0), hi+margin
	var shown []int
	for i := range ops {
		o := &ops[i]
		if o.Key != res.Key {
			continue
		}
		if _, ok := marked[i]; ok || (o.Call <= to && end(*o, to) >= from) {
			shown = append(shown, i)
		}
	}
	if len(shown) > maxTimelineOps {
		mid := lo/2 + hi/2
		dist := func(i int) int64 {
			if _, ok := marked[i]; ok {
				return -1
			}
			return abs(ops[i].Call/2 + end(ops[i], to)/2 - mid)
		}
		sort.SliceStable(shown, func(a, b int) bool { return dist(shown[a]) < dist(shown[b]) })
		shown = shown[:maxTimelineOps]
	}
	var clients []int
	for _, i := range shown {
		if !slices.Contains(clients, ops[i].Client) {
			clients = append(clients, ops[i].Client)
		}
	}
	slices.Sort(clients)
	const left, width, rowH = 90, 1100, 26
	height := rowH*len(clients) + 40
	x := func(t int64) float64 {
		t = min(max(t, from), to)
		return left + float64(width)*float64(t-from)/float64(to-from)
	}
	fmt.Fprintf(w, "<p>Key %s, from %d to %d ns. Red operations cannot be linearized together; "+
		"a dashed end marks an operation that never returned. Hover for details.</p>\n", html.EscapeString(res.Key), from, to)
	fmt.Fprintf(w, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\">\n", left+width+20, height)
	for r, c := range clients {
		fmt.Fprintf(w, "<text x=\"4\" y=\"%d\">client %d</text>\n", r*rowH+17, c)
		fmt.Fprintf(w, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#eee\"/>\n", left, r*rowH+rowH, left+width, r*rowH+rowH)
	}
	for _, i := range shown {
		o := ops[i]
		r := slices.Index(clients, o.Client)
		x1, x2 := x(o.Call), x(end(o, to))
		fill, label := "#cfd8e3", opLabel(o)
		if k, ok := marked[i]; ok {
			fill, label = "#e74c3c", fmt.Sprintf("#%d %s", k, label)
		}
		dash := ""
		if o.Pending() {
			dash = ` stroke-dasharray="4 3"`
		}
		fmt.Fprintf(w, "<g><title>line %d: %s</title><rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\" stroke=\"#555\"%s/>",
			i+1, html.EscapeString(o.String()), x1, r*rowH+4, max(x2-x1, 1), rowH-8, fill, dash)
		fmt.Fprintf(w, "<text x=\"%.1f\" y=\"%d\">%s</text></g>\n", x1+2, r*rowH+17, html.EscapeString(label))
	}
	fmt.Fprintf(w, "<text x=\"%d\" y=\"%d\">%d</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\">%d</text>\n",
		left, height-8, from, left+width, height-8, to)
	fmt.Fprint(w, "</svg>\n")
}

// end is when o ends on a timeline: its return, or horizon if it never returned.
func end(o Operation, horizon int64) int64 {
	if o.Pending() {
		return horizon
	}
	return o.Return
}

func opLabel(o Operation) string {
	switch o.Op {
	case "put":
		return "put " + o.Value
	case "get":
		if o.Pending() {
			return "get ?"
		}
		return fmt.Sprintf("get %q", o.Value)
	}
	return o.Op
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
