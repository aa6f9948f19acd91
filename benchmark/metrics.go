package benchmark

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/agora-consensus/agora/paxi"
)

// Counters is one replica's /metrics, each metric summed over its labels.
type Counters map[string]float64

// ScrapeAll reads /metrics from every replica of cfg with an HTTP address,
// all at once; replicas that do not answer are left out.
func ScrapeAll(ctx context.Context, cfg *paxi.Config) map[paxi.ID]Counters {
	return askAll(ctx, cfg, func(hc *http.Client, addr string) (Counters, bool) {
		c, err := scrape(ctx, hc, addr)
		return c, err == nil
	})
}

func scrape(ctx context.Context, hc *http.Client, addr string) (Counters, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("/metrics: %s", resp.Status)
	}
	return parseMetrics(bufio.NewScanner(resp.Body))
}

// parseMetrics reads Prometheus' text format: "name{labels} value [ts]".
func parseMetrics(sc *bufio.Scanner) (Counters, error) {
	c := Counters{}
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest := line, ""
		if i := strings.IndexAny(line, "{ "); i >= 0 {
			name, rest = line[:i], line[i:]
		}
		if j := strings.LastIndexByte(rest, '}'); j >= 0 {
			rest = rest[j+1:]
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			continue
		}
		c[name] += v
	}
	return c, sc.Err()
}

// ServerFigures is what the replicas' counters say about a window.
type ServerFigures struct {
	// FastPathRatio is fast/(fast+slow) over the protocol's
	// *_fast_path_total and *_slow_path_total; nil if it has none.
	FastPathRatio      *float64      `json:"fast_path_ratio,omitempty"`
	MessagesPerCommand float64       `json:"messages_per_command"`
	BytesPerCommand    float64       `json:"bytes_per_command"`
	CPUPerCommand      time.Duration `json:"server_cpu_per_command_ns"`
	// CPULoadMaxOverMean is the busiest replica's CPU over the mean: 1
	// when the load is even, N when one replica does all the work.
	CPULoadMaxOverMean float64       `json:"cpu_load_max_over_mean"`
	Replicas           []ReplicaLoad `json:"replicas"`
}

// ReplicaLoad is one replica's share of the window.
type ReplicaLoad struct {
	ID           paxi.ID       `json:"id"`
	CPU          time.Duration `json:"cpu_ns"`
	MessagesSent float64       `json:"messages_sent"`
	BytesSent    float64       `json:"bytes_sent"`
	Proposals    float64       `json:"proposals"`
}

// Figures compares two scrapes around a window in which ops commands
// completed. Replicas missing from either scrape are left out. CPU is the
// process's: meaningful for one replica per process.
func Figures(before, after map[paxi.ID]Counters, ops int) ServerFigures {
	var f ServerFigures
	var fast, slow, msgs, bytes, cpu, maxCPU float64
	var ids []paxi.ID
	for id := range after {
		if _, ok := before[id]; ok {
			ids = append(ids, id)
		}
	}
	paxi.SortIDs(ids)
	for _, id := range ids {
		b, a := before[id], after[id]
		d := func(name string) float64 { return a[name] - b[name] }
		for name := range a {
			switch {
			case strings.HasSuffix(name, "_fast_path_total"):
				fast += d(name)
			case strings.HasSuffix(name, "_slow_path_total"):
				slow += d(name)
			}
		}
		l := ReplicaLoad{ID: id, CPU: time.Duration(d("process_cpu_seconds_total") * 1e9),
			MessagesSent: d("agora_messages_sent_total"), BytesSent: d("agora_bytes_sent_total"), Proposals: d("agora_proposals_total")}
		f.Replicas = append(f.Replicas, l)
		msgs, bytes, cpu = msgs+l.MessagesSent, bytes+l.BytesSent, cpu+l.CPU.Seconds()
		maxCPU = max(maxCPU, l.CPU.Seconds())
	}
	if fast+slow > 0 {
		r := fast / (fast + slow)
		f.FastPathRatio = &r
	}
	if ops > 0 {
		f.MessagesPerCommand, f.BytesPerCommand = msgs/float64(ops), bytes/float64(ops)
		f.CPUPerCommand = time.Duration(cpu / float64(ops) * 1e9)
	}
	if cpu > 0 {
		f.CPULoadMaxOverMean = maxCPU / (cpu / float64(len(ids)))
	}
	return f
}

func (f ServerFigures) String() string {
	fp := "-"
	if f.FastPathRatio != nil {
		fp = fmt.Sprintf("%.3f", *f.FastPathRatio)
	}
	return fmt.Sprintf("server: cpu/command=%v messages/command=%.2f bytes/command=%.0f fast_path_ratio=%s cpu_load_max/mean=%.2f",
		f.CPUPerCommand.Round(10*time.Nanosecond), f.MessagesPerCommand, f.BytesPerCommand, fp, f.CPULoadMaxOverMean)
}
