package evaluation

import (
	"fmt"
	"image/color"
	"path/filepath"
	"slices"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// writePictures draws every figure of r that was run, as SVG and PNG.
func writePictures(dir string, r *Report) error {
	for _, w := range r.WideArea {
		p, err := latencyBars(w)
		if err != nil {
			return err
		}
		if err := save(p, dir, fmt.Sprintf("latency-%dsites", len(w.Sites)), 18, 9); err != nil {
			return err
		}
		if len(w.latencies) > 0 {
			p, err := latencyCDF(w)
			if err != nil {
				return err
			}
			if err := save(p, dir, fmt.Sprintf("cdf-%dsites", len(w.Sites)), 14, 9); err != nil {
				return err
			}
		}
	}
	if r.Availability != nil {
		p, err := availabilityLines(r.Availability)
		if err != nil {
			return err
		}
		if err := save(p, dir, "availability", 18, 8); err != nil {
			return err
		}
	}
	if r.Interference != nil {
		p, err := conflictLines(r.Interference)
		if err != nil {
			return err
		}
		if err := save(p, dir, "throughput-conflicts", 14, 8); err != nil {
			return err
		}
	}
	return nil
}

// save writes p as name.svg and name.png, w by h centimetres.
func save(p *plot.Plot, dir, name string, w, h float64) error {
	for _, ext := range []string{".svg", ".png"} {
		if err := p.Save(vg.Length(w)*vg.Centimeter, vg.Length(h)*vg.Centimeter, filepath.Join(dir, name+ext)); err != nil {
			return err
		}
	}
	return nil
}

// barSeries are the wide-area series drawn as bars: sampled delays, the
// paper's three protocols.
var barSeries = []string{"epaxos 0%", "epaxos 100%", "multipaxos", "mencius"}

// latencyBars draws the median per site of each protocol as bars and each
// optimum as a black dash on its bar.
func latencyBars(w *WideArea) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Median commit latency per site, %d sites (bars: simulated, dashed: optimum)", len(w.Sites))
	p.Y.Label.Text = "latency (ms)"
	p.Legend.Top = true
	p.Legend.Left = true
	width := vg.Points(10)
	k := 0
	top := 0.0
	for _, name := range barSeries {
		i := slices.IndexFunc(w.Series, func(s Series) bool { return s.Name == name })
		if i < 0 {
			continue
		}
		sr := w.Series[i]
		vals := make(plotter.Values, len(sr.Sites))
		opt := make(plotter.XYs, len(sr.Sites))
		for j, row := range sr.Sites {
			vals[j] = row.MedianMs
			top = max(top, row.MedianMs)
			opt[j] = plotter.XY{X: float64(j), Y: row.OptimumMs}
		}
		b, err := plotter.NewBarChart(vals, width)
		if err != nil {
			return nil, err
		}
		b.Color = plotutil.Color(k)
		b.LineStyle.Width = 0
		b.Offset = vg.Length(k-len(barSeries)/2)*width + width/2
		p.Add(b)
		p.Legend.Add(name, b)
		if name != "epaxos 100%" && name != "mencius" {
			// The optimum as an outlined bar over the measured one. EPaxos
			// at 100% and Mencius under load have no no-queueing figure to
			// compare with, so they get none.
			ob, err := plotter.NewBarChart(optVals(opt), width)
			if err != nil {
				return nil, err
			}
			ob.Color = color.Transparent
			ob.LineStyle.Color, ob.LineStyle.Width = color.Black, vg.Points(0.8)
			ob.LineStyle.Dashes = []vg.Length{vg.Points(2), vg.Points(1.5)}
			ob.Offset = b.Offset
			p.Add(ob)
			if k == 0 {
				p.Legend.Add("optimum (dashed outline)", ob)
			}
		}
		k++
	}
	p.NominalX(w.Sites...)
	// Headroom above the bars for the legend.
	p.Y.Min, p.Y.Max = 0, top*1.45
	return p, nil
}

func optVals(xys plotter.XYs) plotter.Values {
	v := make(plotter.Values, len(xys))
	for i, xy := range xys {
		v[i] = xy.Y
	}
	return v
}

// latencyCDF draws the distribution of every command's latency (all sites
// together) for EPaxos 0%, Multi-Paxos and Mencius.
func latencyCDF(w *WideArea) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Commit latency CDF, all clients, %d sites", len(w.Sites))
	p.X.Label.Text = "latency (ms)"
	p.Y.Label.Text = "fraction of commands"
	p.Legend.Top = false
	p.Legend.Left = false
	p.Add(plotter.NewGrid())
	for i, name := range []string{"epaxos 0%", "multipaxos", "mencius"} {
		bySite, ok := w.latencies[name]
		if !ok {
			continue
		}
		var all []time.Duration
		for _, d := range bySite {
			all = append(all, d...)
		}
		slices.Sort(all)
		if len(all) == 0 {
			continue
		}
		// At most 500 points: the picture does not need every command.
		step := max(1, len(all)/500)
		var xys plotter.XYs
		for j := 0; j < len(all); j += step {
			xys = append(xys, plotter.XY{X: Ms(all[j]), Y: float64(j+1) / float64(len(all))})
		}
		xys = append(xys, plotter.XY{X: Ms(all[len(all)-1]), Y: 1})
		l, err := plotter.NewLine(xys)
		if err != nil {
			return nil, err
		}
		l.Color, l.Width = plotutil.Color(i), vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(name, l)
	}
	p.Y.Min, p.Y.Max = 0, 1
	return p, nil
}

// availabilityLines draws each protocol's throughput per 100 ms.
func availabilityLines(f *Availability) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Throughput per %v, 5 sites; replica %s (CA, Multi-Paxos's leader) crashes at %v", f.Bucket, f.Crashed, f.CrashAt)
	p.X.Label.Text = "time (s)"
	p.Y.Label.Text = "commands / s"
	p.Add(plotter.NewGrid())
	top := 1.0
	for i, l := range f.Timeline {
		xys := make(plotter.XYs, len(l.PerSecond))
		for b, v := range l.PerSecond {
			xys[b] = plotter.XY{X: (time.Duration(b)*f.Bucket + f.Bucket/2).Seconds(), Y: v}
			top = max(top, v)
		}
		line, err := plotter.NewLine(xys)
		if err != nil {
			return nil, err
		}
		line.Color, line.Width = plotutil.Color(i), vg.Points(1.2)
		p.Add(line)
		p.Legend.Add(l.Protocol, line)
	}
	crash, err := plotter.NewLine(plotter.XYs{{X: f.CrashAt.Seconds(), Y: 0}, {X: f.CrashAt.Seconds(), Y: top}})
	if err != nil {
		return nil, err
	}
	crash.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(crash)
	p.Legend.Add("crash", crash)
	p.Legend.Top = true
	p.Y.Min = 0
	return p, nil
}

// conflictLines draws EPaxos's throughput and mean site median against the
// interference rate.
func conflictLines(f *Interference) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "EPaxos, 5 sites, 10 closed-loop clients a site: throughput vs interference"
	p.X.Label.Text = "interference (% of commands on the shared key)"
	p.Y.Label.Text = "commands / s"
	p.Add(plotter.NewGrid())
	var tput plotter.XYs
	for _, sr := range f.Series {
		tput = append(tput, plotter.XY{X: sr.Conflict, Y: sr.Throughput})
	}
	l, s, err := plotter.NewLinePoints(tput)
	if err != nil {
		return nil, err
	}
	l.Color, s.Color = plotutil.Color(0), plotutil.Color(0)
	p.Add(l, s)
	p.Legend.Add("throughput", l, s)
	p.Y.Min = 0
	return p, nil
}
