package benchmark

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/agora-consensus/agora/paxi"
)

// Report is what results.json holds: one or more runs and where they ran.
// Names are snake_case with their unit; durations are nanoseconds.
type Report struct {
	Command     string      `json:"command"`
	Started     time.Time   `json:"started"`
	GitRevision string      `json:"git_revision"`
	GoVersion   string      `json:"go_version"`
	Machine     Machine     `json:"machine"`
	Runs        []RunReport `json:"runs"`
}

// Machine is where the load generator ran.
type Machine struct {
	Host       string `json:"host"`
	OS         string `json:"os"`
	Arch       string `json:"arch"`
	CPUs       int    `json:"cpus"`
	GOMAXPROCS int    `json:"gomaxprocs"`
}

// RunReport is one run: what ran, against what, and what it measured.
type RunReport struct {
	Label string `json:"label"`
	// Series groups the runs of a sweep that differ only in load (depth
	// or rate): one line of the throughput-latency picture.
	Series   string            `json:"series"`
	Sweep    map[string]string `json:"sweep,omitempty"` // the swept parameters' values
	Protocol string            `json:"protocol"`        // as the replicas' /status reports it
	Replicas int               `json:"replicas"`
	Cluster  *paxi.Config      `json:"cluster"`
	Workload Workload          `json:"workload"`
	Seed     int64             `json:"seed"`
	Result   Result            `json:"result"`
	Server   *ServerFigures    `json:"server,omitempty"`
	// ClientCPUPerCommand is the load generator's CPU per measured command.
	ClientCPUPerCommand time.Duration `json:"client_cpu_per_command_ns"`
	// ShareOfUnreplicated is this run's throughput over the unreplicated
	// run's at the same point of the sweep, when there is one.
	ShareOfUnreplicated float64 `json:"share_of_unreplicated,omitempty"`
	Linearizable        string  `json:"linearizable,omitempty"` // the checker's verdict
	CheckTime           string  `json:"check_time,omitempty"`
	Violation           string  `json:"violation,omitempty"`
	HistoryFile         string  `json:"history_file,omitempty"`
	Err                 string  `json:"error,omitempty"`
}

// NewReport fills in the provenance of a report started now.
func NewReport(command string) Report {
	host, _ := os.Hostname()
	return Report{Command: command, Started: time.Now().UTC(), GitRevision: gitRevision(), GoVersion: runtime.Version(),
		Machine: Machine{Host: host, OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0)}}
}

// gitRevision is the binary's VCS stamp, else the working tree's HEAD
// (go run and go test do not stamp), "+dirty" when modified.
func gitRevision() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			if dirty {
				rev += "+dirty"
			}
			return rev
		}
	}
	out, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	rev := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
		rev += "+dirty"
	}
	return rev
}

// Finish computes the figures derived from others: client CPU per
// command, and each run's share of the unreplicated run of its sweep
// point.
func (rep *Report) Finish() {
	ceiling := map[string]float64{}
	for _, r := range rep.Runs {
		if r.Protocol == "unreplicated" {
			ceiling[pointKey(r)] = max(ceiling[pointKey(r)], r.Result.Throughput)
		}
	}
	for i := range rep.Runs {
		r := &rep.Runs[i]
		if r.Result.Ops > 0 && r.Result.ClientCPU > 0 {
			r.ClientCPUPerCommand = r.Result.ClientCPU / time.Duration(r.Result.Ops)
		}
		if c := ceiling[pointKey(*r)]; c > 0 {
			r.ShareOfUnreplicated = r.Result.Throughput / c
		}
	}
}

// pointKey is a run's sweep point without the protocol and replica count.
func pointKey(r RunReport) string {
	var parts []string
	for k, v := range r.Sweep {
		if k != "protocol" && k != "replicas" {
			parts = append(parts, k+"="+v)
		}
	}
	sortStrings(parts)
	return strings.Join(parts, ",")
}

func sortStrings(xs []string) {
	for i := 1; i < len(xs); i++ {
		for j := i; j > 0 && xs[j] < xs[j-1]; j-- {
			xs[j], xs[j-1] = xs[j-1], xs[j]
		}
	}
}

// WriteReport writes dir/results.json, the pictures (SVG and PNG) and
// dir/index.html, which shows them with the tables and needs nothing
// but the directory.
func WriteReport(dir string, rep Report) error {
	for i := range rep.Runs {
		if c := rep.Runs[i].Cluster; c != nil && c.ClusterSecret != "" {
			cc := *c // the secret stays out of a file meant to be shared
			cc.ClusterSecret = "(redacted)"
			rep.Runs[i].Cluster = &cc
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	pics, err := writePlots(dir, rep)
	if err != nil {
		return err
	}
	return writeIndex(dir, rep, pics)
}

// DefaultOutDir is results/<UTC timestamp>.
func DefaultOutDir(t time.Time) string {
	return filepath.Join("results", t.UTC().Format("20060102-150405"))
}
