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

	"github.com/agora-consensus/agora/checker"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
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
		if err := writeHistory(filepath.Join(dir, "history-"+o.Protocol+".jsonl"), o.History); err != nil {
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

func writeHistory(path string, ops []checker.Operation) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := checker.WriteHistory(f, ops); err != nil {
		f.Close()
		return err
	}
	return f.Close()
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
// line per protocol, with each run's kills (red) and restarts (green)
// marked along the bottom. With one seed every protocol has the same
// schedule, so the marks coincide.
func plotAvailability(dir string, outs []Outcome) error {
	p := plot.New()
	p.Title.Text = "Acknowledged operations per 100 ms, one replica SIGKILLed and restarted at a time"
	p.X.Label.Text = "time since the start of the load (s); marks below 0: red = SIGKILL, green = restart"
	p.Y.Label.Text = "operations per 100 ms"
	p.Legend.Top = true
	top := 1.0
	for _, o := range outs {
		for _, v := range o.Availability.Per100ms {
			top = max(top, float64(v))
		}
	}
	for i, o := range outs {
		xys := make(plotter.XYs, len(o.Availability.Per100ms))
		for b, v := range o.Availability.Per100ms {
			xys[b] = plotter.XY{X: float64(b)*0.1 + 0.05, Y: float64(v)}
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return err
		}
		l.Color = plotutil.Color(i)
		l.Width = vg.Points(1)
		p.Add(l)
		p.Legend.Add(o.Protocol, l)
		for _, e := range o.Events {
			c := color.RGBA{R: 200, A: 255}
			if e.Kind == "restart" {
				c = color.RGBA{G: 150, A: 255}
			}
			x := e.At.Seconds()
			// A short tick per protocol, stacked, so marks of different
			// runs stay apart if their schedules differ.
			y0 := -top * 0.04 * float64(i+1)
			m, err := plotter.NewLine(plotter.XYs{{X: x, Y: y0}, {X: x, Y: y0 + top*0.035}})
			if err != nil {
				return err
			}
			m.Color, m.Width = c, vg.Points(1.5)
			p.Add(m)
		}
	}
	p.Y.Min = -top * 0.04 * float64(len(outs)+1)
	p.Add(plotter.NewGrid())
	for _, ext := range []string{"png", "svg"} {
		if err := p.Save(30*vg.Centimeter, 14*vg.Centimeter, filepath.Join(dir, "availability."+ext)); err != nil {
			return err
		}
	}
	return nil
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
