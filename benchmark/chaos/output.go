package chaos

import (
	"bufio"
	"encoding/json"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/agora-consensus/agora/benchmark"
	"github.com/agora-consensus/agora/checker"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Report is what results.json holds.
type Report struct {
	Command  string    `json:"command"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Host     string    `json:"host"`
	Options  any       `json:"options"`
	Outcomes []Outcome `json:"protocols"`
	Pass     bool      `json:"pass"`
}

// WriteOutputs writes into dir: history-<protocol>.jsonl for every run,
// timeline.csv (acknowledged operations per 100 ms, one column per
// protocol), results.json, and availability.png and .svg.
func WriteOutputs(dir string, r Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, o := range r.Outcomes {
		if err := checker.WriteHistoryFile(filepath.Join(dir, "history-"+o.Protocol+".jsonl"), o.History); err != nil {
			return err
		}
	}
	if err := writeTimeline(filepath.Join(dir, "timeline.csv"), r.Outcomes); err != nil {
		return err
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	return plotAvailability(dir, r.Outcomes)
}

func writeTimeline(path string, outs []Outcome) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	rows := 0
	header := []string{"t_ms"}
	for _, o := range outs {
		header = append(header, o.Protocol)
		rows = max(rows, len(o.Availability.Per100ms))
	}
	fmt.Fprintln(w, strings.Join(header, ","))
	for i := 0; i < rows; i++ {
		fmt.Fprintf(w, "%d", i*100)
		for _, o := range outs {
			if i < len(o.Availability.Per100ms) {
				fmt.Fprintf(w, ",%d", o.Availability.Per100ms[i])
			} else {
				fmt.Fprint(w, ",")
			}
		}
		fmt.Fprintln(w)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// plotAvailability draws acknowledged operations per 100 ms over time, one
// panel per protocol on the same axes (as the EPaxos paper's availability
// figure), with the run's kills (red) and restarts (green) marked below
// zero. With one seed every protocol has the same schedule.
func plotAvailability(dir string, outs []Outcome) error {
	if len(outs) == 0 {
		return nil
	}
	top, end := 1.0, 1.0
	for _, o := range outs {
		for _, v := range o.Availability.Per100ms {
			top = max(top, float64(v))
		}
		end = max(end, float64(len(o.Availability.Per100ms))/10)
	}
	var rows [][]*plot.Plot
	for i, o := range outs {
		p, err := panel(o, i, top, end)
		if err != nil {
			return err
		}
		if i == len(outs)-1 {
			p.X.Label.Text = "time since the start of the load (s); marks below 0: red = SIGKILL, green = restart"
		}
		rows = append(rows, []*plot.Plot{p})
	}
	w, h := 30*vg.Centimeter, vg.Length(len(outs))*7*vg.Centimeter+vg.Centimeter
	tiles := draw.Tiles{Rows: len(outs), Cols: 1, PadTop: vg.Millimeter, PadBottom: vg.Millimeter, PadLeft: vg.Millimeter, PadRight: 3 * vg.Millimeter, PadY: 2 * vg.Millimeter}
	img := vgimg.New(w, h)
	svg := vgsvg.New(w, h)
	for _, c := range []vg.CanvasSizer{img, svg} {
		dc := draw.New(c)
		cs := plot.Align(rows, tiles, dc)
		for i := range rows {
			rows[i][0].Draw(cs[i][0])
		}
	}
	return benchmark.WriteCanvases(dir, "availability", img, svg)
}

// panel is one protocol's throughput line and kill marks.
func panel(o Outcome, i int, top, end float64) (*plot.Plot, error) {
	p := plot.New()
	a := o.Availability
	p.Title.Text = fmt.Sprintf("%s: median %.0f ops/s, worst second after the first kill %.2f of it", o.Protocol, a.Median, a.Fraction)
	p.Y.Label.Text = "ops per 100 ms"
	p.X.Min, p.X.Max = 0, end
	p.X.Tick.Marker = secondsTicker{}
	p.Y.Min, p.Y.Max = -top*0.08, top*1.05
	p.Add(plotter.NewGrid())
	xys := make(plotter.XYs, len(a.Per100ms))
	for b, v := range a.Per100ms {
		xys[b] = plotter.XY{X: float64(b)*0.1 + 0.05, Y: float64(v)}
	}
	l, err := plotter.NewLine(xys)
	if err != nil {
		return nil, err
	}
	l.Color, l.Width = plotutil.Color(i), vg.Points(1)
	p.Add(l)
	for _, e := range o.Events {
		c := color.RGBA{R: 200, A: 255}
		if e.Kind == "restart" {
			c = color.RGBA{G: 150, A: 255}
		}
		m, err := plotter.NewLine(plotter.XYs{{X: e.At.Seconds(), Y: -top * 0.07}, {X: e.At.Seconds(), Y: -top * 0.01}})
		if err != nil {
			return nil, err
		}
		m.Color, m.Width = c, vg.Points(1.5)
		p.Add(m)
	}
	return p, nil
}

// Verdict is the one-paragraph summary of one run.
func Verdict(o Outcome) string {
	var b strings.Builder
	a := o.Availability
	pass := "PASS"
	if !o.Pass {
		pass = "FAIL"
	}
	tp := "PASS"
	if !o.Throughput {
		tp = "FAIL"
	}
	fmt.Fprintf(&b, "%s: %s\n", o.Protocol, pass)
	fmt.Fprintf(&b, "  throughput: median %.0f ops/s, worst second after the first kill %d ops (second %d) = %.2f of the median: %s (needs >= 0.50)\n",
		a.Median, a.Worst, a.WorstSecond, a.Fraction, tp)
	fmt.Fprintf(&b, "  seconds below half the median after the first kill: %d of %d\n", len(a.BelowHalf), max(len(a.PerSecond)-firstKillSecond(o), 0))
	fmt.Fprintf(&b, "  linearizable: %s (%d operations, %d pending, checked in %s)\n", yesNo(o.Linearizable), o.Ops, o.Pending, o.CheckTime)
	fmt.Fprintf(&b, "  acknowledged writes lost: %d; final-read problems: %d; kills: %d; unplanned crashes: %d\n",
		len(o.LostWrites), len(o.FinalProblems), countKills(o.Events), len(o.Crashed))
	for _, s := range append(append(append([]string(nil), o.Crashed...), o.FinalProblems...), o.LostWrites...) {
		fmt.Fprintf(&b, "    %s\n", s)
	}
	if o.Violation != "" {
		fmt.Fprintf(&b, "  %s\n", strings.ReplaceAll(strings.TrimSpace(o.Violation), "\n", "\n  "))
	}
	if o.Err != "" {
		fmt.Fprintf(&b, "  error: %s\n", o.Err)
	}
	return b.String()
}

// firstKillSecond is the second of the run that holds the first kill.
func firstKillSecond(o Outcome) int {
	for _, e := range o.Events {
		if e.Kind == "kill" {
			return int(e.At / time.Second)
		}
	}
	return 0
}

func yesNo(verdict string) string {
	switch verdict {
	case "ok":
		return "yes"
	case "illegal":
		return "NO"
	}
	return "unknown (" + verdict + ")"
}

func countKills(es []Event) int {
	n := 0
	for _, e := range es {
		if e.Kind == "kill" {
			n++
		}
	}
	return n
}

// secondsTicker labels the time axis every 5, 10 or 20 s, so that a kill
// mark can be read off to the second or so.
type secondsTicker struct{}

func (secondsTicker) Ticks(lo, hi float64) []plot.Tick {
	step := 5.0
	if hi-lo > 60 {
		step = 10
	}
	if hi-lo > 120 {
		step = 20
	}
	var ts []plot.Tick
	for x := 0.0; x <= hi; x += step / 5 {
		if x < lo {
			continue
		}
		t := plot.Tick{Value: x}
		if int(x*5/step+0.5)%5 == 0 {
			t.Label = fmt.Sprintf("%.0f", x)
		}
		ts = append(ts, t)
	}
	return ts
}
