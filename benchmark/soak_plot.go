package benchmark

import (
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// writeSoakPlot draws soak.png/svg: each replica's data directory and
// resident memory over time, and the cluster's throughput.
func writeSoakPlot(dir string, r SoakResult) error {
	var ids []string
	seen := map[string]bool{}
	for _, s := range r.Samples {
		if !seen[s.Replica] {
			seen[s.Replica] = true
			ids = append(ids, s.Replica)
		}
	}
	panel := func(title, unit string, value func(SoakSample) (float64, bool)) (*plot.Plot, error) {
		p := plot.New()
		p.Title.Text = title
		p.Y.Label.Text = unit
		p.Add(plotter.NewGrid())
		for i, id := range ids {
			var xys plotter.XYs
			for _, s := range r.Samples {
				if v, ok := value(s); ok && s.Replica == id {
					xys = append(xys, plotter.XY{X: s.T, Y: v})
				}
			}
			if len(xys) == 0 {
				continue
			}
			if err := addRun(p, xys, i, id); err != nil {
				return nil, err
			}
		}
		p.Y.Min = 0
		p.Legend.Top = true
		return p, nil
	}
	label := fmt.Sprintf("%s, %d replicas, fsync %v, snapshot_every %d, snapshot_log_bytes %d", r.Algorithm, r.N, r.Fsync, r.SnapshotEvery, r.SnapshotLogBytes)
	if r.Victim != "" {
		label += fmt.Sprintf("; %s down %.0f-%.0f s", r.Victim, r.KilledAt, r.RejoinedAt)
	}
	dirP, err := panel("data directory ("+label+")", "MiB", func(s SoakSample) (float64, bool) { return mib(s.DirBytes), true })
	if err != nil {
		return err
	}
	rssP, err := panel("resident memory (VmRSS)", "MiB", func(s SoakSample) (float64, bool) { return mib(s.RSSBytes), s.Up })
	if err != nil {
		return err
	}
	first := ""
	if len(ids) > 0 {
		first = ids[0]
	}
	tputP, err := panel("throughput (executed per second, largest of the replicas up)", "commands/s", func(s SoakSample) (float64, bool) {
		return s.Throughput, s.Replica == first
	})
	if err != nil {
		return err
	}
	tputP.Legend = plot.NewLegend()
	tputP.X.Label.Text = "seconds since the load started"
	rows := [][]*plot.Plot{{dirP}, {rssP}, {tputP}}
	w, h := 24*vg.Centimeter, 24*vg.Centimeter
	tiles := draw.Tiles{Rows: len(rows), Cols: 1, PadTop: vg.Millimeter, PadBottom: vg.Millimeter, PadLeft: vg.Millimeter, PadRight: 3 * vg.Millimeter, PadY: 2 * vg.Millimeter}
	img, svg := vgimg.New(w, h), vgsvg.New(w, h)
	for _, c := range []vg.CanvasSizer{img, svg} {
		cs := plot.Align(rows, tiles, draw.New(c))
		for i := range rows {
			rows[i][0].Draw(cs[i][0])
		}
	}
	return WriteCanvases(dir, "soak", img, svg)
}
