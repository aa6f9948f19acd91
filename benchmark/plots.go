package benchmark

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Picture is one figure of a report, written as name.svg and name.png.
type Picture struct {
	Name, Title string
}

// writePlots draws the report's pictures and returns those it wrote.
func writePlots(dir string, rep Report) ([]Picture, error) {
	var pics []Picture
	add := func(name, title string, p *plot.Plot, err error) error {
		if err != nil || p == nil {
			return err
		}
		if err := save(dir, name, p); err != nil {
			return err
		}
		pics = append(pics, Picture{name, title})
		return nil
	}
	p, err := latencyCDF(rep)
	if err := add("latency_cdf", "Latency CDF", p, err); err != nil {
		return nil, err
	}
	p, err = throughputOverTime(rep)
	if err := add("throughput", "Throughput over time", p, err); err != nil {
		return nil, err
	}
	p, err = replicaLoad(rep)
	if err := add("replica_load", "Per-replica load", p, err); err != nil {
		return nil, err
	}
	p, err = sweepPlot(rep)
	if err := add("throughput_latency", "Throughput against latency", p, err); err != nil {
		return nil, err
	}
	return pics, nil
}

func save(dir, name string, p *plot.Plot) error {
	w, h := 18*vg.Centimeter, 11*vg.Centimeter
	img, svg := vgimg.New(w, h), vgsvg.New(w, h)
	p.Draw(draw.New(img))
	p.Draw(draw.New(svg))
	return WriteCanvases(dir, name, img, svg)
}

// WriteCanvases writes one drawn picture as name.png and name.svg in dir.
func WriteCanvases(dir, name string, img *vgimg.Canvas, svg *vgsvg.Canvas) error {
	for file, wt := range map[string]io.WriterTo{name + ".png": vgimg.PngCanvas{Canvas: img}, name + ".svg": svg} {
		f, err := os.Create(filepath.Join(dir, file))
		if err != nil {
			return err
		}
		_, err = wt.WriteTo(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// addRun draws run i's line with its style and legend entry.
func addRun(p *plot.Plot, xys plotter.XYs, i int, label string) error {
	l, err := plotter.NewLine(xys)
	if err != nil {
		return err
	}
	style(l, i)
	p.Add(l)
	p.Legend.Add(label, l)
	return nil
}

// style gives run i a color and, past the palette, a dash.
func style(l *plotter.Line, i int) {
	l.Color = plotutil.Color(i)
	l.Dashes = plotutil.Dashes(i / 7)
	l.Width = vg.Points(1.2)
}

func latencyCDF(rep Report) (*plot.Plot, error) {
	p := plot.New()
	p.X.Label.Text, p.Y.Label.Text = "latency (ms, log scale)", "fraction of commands at or below"
	p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	p.Y.Min, p.Y.Max = 0, 1
	p.Add(plotter.NewGrid())
	n := 0
	for i, r := range rep.Runs {
		if r.Result.Hist == nil || r.Result.Hist.Count() == 0 {
			continue
		}
		lat, frac := r.Result.Hist.CDF()
		var xys plotter.XYs
		for k := range lat {
			if ms := lat[k].Seconds() * 1e3; ms > 0 {
				xys = append(xys, plotter.XY{X: ms, Y: frac[k]})
			}
		}
		if len(xys) == 0 {
			continue
		}
		if err := addRun(p, xys, i, r.Label); err != nil {
			return nil, err
		}
		n++
	}
	if n == 0 {
		return nil, nil
	}
	p.Legend.Top, p.Legend.Left = false, false
	p.Legend.YOffs = vg.Centimeter
	return p, nil
}

func throughputOverTime(rep Report) (*plot.Plot, error) {
	p := plot.New()
	p.X.Label.Text, p.Y.Label.Text = "time in the measured window (s)", "commands per second (100 ms bins)"
	p.Add(plotter.NewGrid())
	n := 0
	for i, r := range rep.Runs {
		if len(r.Result.Per100ms) == 0 {
			continue
		}
		xys := make(plotter.XYs, len(r.Result.Per100ms))
		for b, v := range r.Result.Per100ms {
			xys[b] = plotter.XY{X: float64(b)*0.1 + 0.05, Y: float64(v) * 10}
		}
		if err := addRun(p, xys, i, r.Label); err != nil {
			return nil, err
		}
		n++
	}
	if n == 0 {
		return nil, nil
	}
	p.Y.Min = 0
	p.Legend.Top = false
	return p, nil
}

// replicaLoad draws, per run, one bar per replica: its server CPU in the
// window when the replicas' /metrics were read, else the commands its
// clients completed.
func replicaLoad(rep Report) (*plot.Plot, error) {
	type bar struct {
		label string
		vals  map[string]float64
	}
	var bars []bar
	ids := map[string]bool{}
	useCPU := false
	for _, r := range rep.Runs {
		if r.Server != nil && len(r.Server.Replicas) > 0 {
			useCPU = true
		}
	}
	for _, r := range rep.Runs {
		b := bar{label: r.Label, vals: map[string]float64{}}
		if useCPU {
			if r.Server == nil {
				continue
			}
			for _, l := range r.Server.Replicas {
				b.vals[string(l.ID)] = l.CPU.Seconds() / max(r.Result.Elapsed.Seconds(), 1e-9)
				ids[string(l.ID)] = true
			}
		} else {
			for _, rr := range r.Result.Replicas {
				b.vals[string(rr.ID)] = float64(rr.Ops) / max(r.Result.Elapsed.Seconds(), 1e-9)
				ids[string(rr.ID)] = true
			}
		}
		bars = append(bars, b)
	}
	if len(bars) == 0 || len(ids) == 0 {
		return nil, nil
	}
	var names []string
	for id := range ids {
		names = append(names, id)
	}
	sort.Strings(names)
	p := plot.New()
	p.Y.Label.Text = "commands per second its clients completed"
	if useCPU {
		p.Y.Label.Text = "server CPU (cores) in the window"
	}
	p.Add(plotter.NewGrid())
	width := vg.Points(max(4, 200/float64(len(bars)*len(names))))
	for k, id := range names {
		vals := make(plotter.Values, len(bars))
		for i, b := range bars {
			vals[i] = b.vals[id]
		}
		bc, err := plotter.NewBarChart(vals, width)
		if err != nil {
			return nil, err
		}
		bc.Color = plotutil.Color(k)
		bc.LineStyle.Width = 0
		bc.Offset = vg.Length(k-len(names)/2) * width
		p.Add(bc)
		p.Legend.Add("replica "+id, bc)
	}
	var labels []string
	for i, b := range bars {
		labels = append(labels, fmt.Sprintf("%d", i+1))
		_ = b
	}
	p.NominalX(labels...)
	p.X.Label.Text = "run (numbered as in the table)"
	p.Legend.Top = true
	return p, nil
}

// sweepPlot draws throughput against p50 and p99 latency, one line per
// series with at least two points.
func sweepPlot(rep Report) (*plot.Plot, error) {
	series := map[string]plotter.XYs{}
	var order []string
	for _, r := range rep.Runs {
		if r.Result.Ops == 0 {
			continue
		}
		if _, ok := series[r.Series]; !ok {
			order = append(order, r.Series)
		}
		series[r.Series] = append(series[r.Series], plotter.XY{X: r.Result.Throughput, Y: r.Result.P50.Seconds() * 1e3})
	}
	p := plot.New()
	p.X.Label.Text, p.Y.Label.Text = "throughput (commands/s)", "median latency (ms)"
	p.Add(plotter.NewGrid())
	n := 0
	for i, s := range order {
		xys := series[s]
		if len(xys) < 2 {
			continue
		}
		// In sweep order (depth or rate rising), not by throughput: past
		// saturation a deeper pipeline can lose throughput, and the line
		// turning back shows it.
		l, pts, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, err
		}
		style(l, i)
		pts.Color = plotutil.Color(i)
		p.Add(l, pts)
		p.Legend.Add(s, l)
		n++
	}
	if n == 0 {
		return nil, nil
	}
	p.X.Min, p.Y.Min = 0, 0
	top := 0.0
	for _, s := range order {
		for _, xy := range series[s] {
			top = max(top, xy.Y)
		}
	}
	p.Y.Max = top * (1.15 + 0.07*float64(n)) // room for the legend
	p.Legend.Top, p.Legend.Left = true, true
	return p, nil
}
