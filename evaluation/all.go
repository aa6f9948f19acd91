package evaluation

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// Check is one expected outcome of an experiment.
type Check struct {
	Name   string `json:"name"`
	Pass   bool   `json:"pass"`
	Detail string `json:"detail"`
}

// Report holds every figure of a run of the evaluation: what results.json
// holds.
type Report struct {
	Options      Options       `json:"options"`
	WideArea     []*WideArea   `json:"wide_area,omitempty"`
	Interference *Interference `json:"interference,omitempty"`
	Leader       *Leader       `json:"leader_placement,omitempty"`
	Slow         *Slow         `json:"slow_replica,omitempty"`
	Availability *Availability `json:"availability,omitempty"`
	Batching     *Batching     `json:"batching,omitempty"`
	Tail         *Tail         `json:"tail_latency,omitempty"`
	Checks       []Check       `json:"checks"`
}

// Failures lists the checks that did not pass.
func (r *Report) Failures() []string {
	var out []string
	for _, c := range r.Checks {
		if !c.Pass {
			out = append(out, c.Name+": "+c.Detail)
		}
	}
	return out
}

func (r *Report) check(name string, pass bool, format string, args ...any) {
	r.Checks = append(r.Checks, Check{Name: name, Pass: pass, Detail: fmt.Sprintf(format, args...)})
}

// Experiments names what RunAll can run, in its order.
var Experiments = []string{"widearea", "interference", "leader", "slow", "availability", "batching", "tail"}

// RunAll runs every experiment (or only the one named), printing each
// table to w as it finishes. An error means a run itself failed (a
// protocol panic or a violated check of the simulator); a figure off its
// expectation is a failed Check in the report instead.
func RunAll(o Options, only string, w io.Writer) (*Report, error) {
	if only != "" && !slices.Contains(Experiments, only) {
		return nil, fmt.Errorf("-only %q: want one of %s", only, strings.Join(Experiments, ", "))
	}
	r := &Report{Options: o}
	want := func(name string) bool { return only == "" || only == name }
	if want("widearea") {
		for _, n := range []int{5, 3} {
			f, err := RunWideArea(o, n)
			if err != nil {
				return r, err
			}
			r.WideArea = append(r.WideArea, f)
			PrintWideArea(w, f)
			r.check(fmt.Sprintf("optimum, %d sites", n), len(f.Failures) == 0, "%s", checkDetail(f))
		}
	}
	if want("interference") {
		f, err := RunInterference(o)
		if err != nil {
			return r, err
		}
		r.Interference = f
		PrintInterference(w, f)
		zero, full := f.Series[0], f.Series[len(f.Series)-1]
		r.check("interference: fast path", zero.FastPath > 0.99 && full.FastPath < zero.FastPath,
			"fast path %.1f%% at 0%%, %.1f%% at 100%%", 100*zero.FastPath, 100*full.FastPath)
	}
	if want("leader") {
		f, err := RunLeader(o)
		if err != nil {
			return r, err
		}
		r.Leader = f
		PrintLeader(w, f)
		worst := 0.0
		for _, sr := range f.Series {
			worst = max(worst, sr.worstDiff())
		}
		r.check("leader placement: optimum", worst <= Tolerance, "every leader site's medians within %.1f%% of the optimum (tolerance %.0f%%)", worst, Tolerance)
	}
	if want("slow") {
		f, err := RunSlow(o)
		if err != nil {
			return r, err
		}
		r.Slow = f
		PrintSlow(w, f)
		checkSlow(r, f)
	}
	if want("availability") {
		f, err := RunAvailability(o)
		if err != nil {
			return r, err
		}
		r.Availability = f
		PrintAvailability(w, f)
		checkAvailability(r, f)
	}
	if want("batching") {
		f, err := RunBatching(o)
		if err != nil {
			return r, err
		}
		r.Batching = f
		PrintBatching(w, f)
		checkBatching(r, f)
	}
	if want("tail") {
		f, err := RunTail(o)
		if err != nil {
			return r, err
		}
		r.Tail = f
		PrintTail(w, f)
		checkTail(r, f)
	}
	return r, nil
}

func checkDetail(f *WideArea) string {
	if len(f.Failures) == 0 {
		return fmt.Sprintf("every checked median within %.0f%% of its optimum", Tolerance)
	}
	return strings.Join(f.Failures, "; ")
}
