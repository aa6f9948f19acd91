package benchmark

import (
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"time"
)

var indexTmpl = template.Must(template.New("index").Funcs(template.FuncMap{
	"ms": func(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()*1e3) },
	"us": func(d time.Duration) string {
		if d == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f", d.Seconds()*1e6)
	},
	"f0":  func(x float64) string { return fmt.Sprintf("%.0f", x) },
	"f2":  func(x float64) string { return fmt.Sprintf("%.2f", x) },
	"inc": func(i int) int { return i + 1 },
	"pct": func(x float64) string {
		if x == 0 {
			return "-"
		}
		return fmt.Sprintf("%.0f%%", 100*x)
	},
	"ratio": func(p *float64) string {
		if p == nil {
			return "-"
		}
		return fmt.Sprintf("%.3f", *p)
	},
}).Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Agora benchmark {{.Started.Format "2006-01-02 15:04:05"}}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1.5em}
td,th{border:1px solid #bbb;padding:2px 6px;text-align:right}th{background:#eee}td.l{text-align:left}
img{max-width:100%;border:1px solid #ddd;margin:0.5em 0}</style></head><body>
<h1>Agora benchmark</h1>
<p>{{.Command}}<br>started {{.Started.Format "2006-01-02 15:04:05 UTC"}}, git {{.GitRevision}}, {{.GoVersion}},
{{.Machine.Host}} ({{.Machine.OS}}/{{.Machine.Arch}}, {{.Machine.CPUs}} CPUs). Latencies in ms; CPU per command in µs.
Full figures: <a href="results.json">results.json</a>.</p>
<table><tr><th>#</th><th>run</th><th>protocol</th><th>n</th><th>ops/s</th><th>p50</th><th>p90</th><th>p95</th><th>p99</th><th>p99.9</th><th>max</th>
<th>errors</th><th>failed</th><th>unanswered</th><th>server CPU/cmd</th><th>client CPU/cmd</th><th>msgs/cmd</th><th>bytes/cmd</th><th>fast path</th><th>load max/mean</th><th>of unreplicated</th><th>linearizable</th></tr>
{{range $i, $r := .Runs}}<tr><td>{{inc $i}}</td><td class="l">{{$r.Label}}</td><td class="l">{{$r.Protocol}}</td><td>{{$r.Replicas}}</td>
<td>{{f0 $r.Result.Throughput}}</td><td>{{ms $r.Result.P50}}</td><td>{{ms $r.Result.P90}}</td><td>{{ms $r.Result.P95}}</td><td>{{ms $r.Result.P99}}</td><td>{{ms $r.Result.P999}}</td><td>{{ms $r.Result.Max}}</td>
<td>{{$r.Result.Errors}}</td><td>{{$r.Result.Failed}}</td><td>{{$r.Result.Unanswered}}</td>
{{with $r.Server}}<td>{{us .CPUPerCommand}}</td>{{else}}<td>-</td>{{end}}<td>{{us $r.ClientCPUPerCommand}}</td>
{{with $r.Server}}<td>{{f2 .MessagesPerCommand}}</td><td>{{f0 .BytesPerCommand}}</td><td>{{ratio .FastPathRatio}}</td><td>{{f2 .CPULoadMaxOverMean}}</td>{{else}}<td>-</td><td>-</td><td>-</td><td>-</td>{{end}}
<td>{{pct $r.ShareOfUnreplicated}}</td><td>{{or $r.Linearizable "-"}}</td></tr>
{{end}}</table>
{{range .Pics}}<h2>{{.Title}}</h2><img src="{{.Name}}.svg" alt="{{.Title}}"><br><a href="{{.Name}}.png">PNG</a>
{{end}}
<h2>Per target replica and zone</h2>
{{range $i, $r := .Runs}}<h3>{{inc $i}}. {{$r.Label}}</h3>
<table><tr><th>target</th><th>ops</th><th>errors</th><th>failed</th><th>unanswered</th><th>p50</th><th>p90</th><th>p95</th><th>p99</th><th>p99.9</th><th>max</th><th class="l">down</th></tr>
{{range $r.Result.Replicas}}<tr><td class="l">{{.ID}}</td><td>{{.Ops}}</td><td>{{.Errors}}</td><td>{{.Failed}}</td><td>{{.Unanswered}}</td><td>{{ms .P50}}</td><td>{{ms .P90}}</td><td>{{ms .P95}}</td><td>{{ms .P99}}</td><td>{{ms .P999}}</td><td>{{ms .Max}}</td><td class="l">{{.Down}}</td></tr>
{{end}}{{range $r.Result.Zones}}<tr><td class="l">zone {{.Zone}}</td><td>{{.Ops}}</td><td>{{.Errors}}</td><td></td><td></td><td>{{ms .P50}}</td><td>{{ms .P90}}</td><td>{{ms .P95}}</td><td>{{ms .P99}}</td><td>{{ms .P999}}</td><td>{{ms .Max}}</td><td></td></tr>
{{end}}</table>{{if $r.Violation}}<pre>{{$r.Violation}}</pre>{{end}}{{if $r.Err}}<p>error: {{$r.Err}}</p>{{end}}
{{end}}
</body></html>
`))

func writeIndex(dir string, rep Report, pics []Picture) error {
	f, err := os.Create(filepath.Join(dir, "index.html"))
	if err != nil {
		return err
	}
	err = indexTmpl.Execute(f, struct {
		Report
		Pics []Picture
	}{rep, pics})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
