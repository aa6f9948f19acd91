package benchmark

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/agora-consensus/agora/internal/cli"
	"github.com/agora-consensus/agora/paxi"
)

// paxiFields is Paxi's benchmark configuration (paxi/config.go Bconfig),
// field for field: a Paxi benchmark.json loads as it is. Pointers tell a
// field given from one left out.
type paxiFields struct {
	T                    *int     // seconds of load
	N                    *int     // requests in total
	K                    *int     // key space
	W                    *float64 // write ratio
	Throttle             *int     // requests per second over all clients
	Concurrency          *int     // clients
	Distribution         *string
	LinearizabilityCheck *bool
	Conflicts            *int // percent
	Min                  *int
	Mu                   *float64
	Sigma                *float64
	Move                 *bool
	Speed                *int // ms per key the normal mean moves
	ZipfianS             *float64
	ZipfianV             *float64
	Lambda               *float64
}

// apply sets w from the Paxi fields given. Throttle becomes an open loop at
// that fixed rate (Paxi rate-limits closed-loop clients; measuring from the
// intended send time is the honest reading of a target rate), and
// Concurrency closed-loop clients of one command each, as Paxi's are.
func (p paxiFields) apply(w *Workload, given map[string]bool) {
	if p.T != nil {
		w.Duration = paxi.Duration(time.Duration(*p.T) * time.Second)
	}
	if p.N != nil {
		w.Requests = *p.N
	}
	if p.K != nil {
		w.Keys = *p.K
	}
	if p.W != nil {
		w.Writes = *p.W
	}
	if p.Throttle != nil && *p.Throttle > 0 {
		w.Rate, w.Arrival = float64(*p.Throttle), "fixed"
	}
	if p.Concurrency != nil {
		w.Concurrency = *p.Concurrency
		if !given["outstanding"] {
			w.Outstanding = 1
		}
	}
	if p.Distribution != nil {
		w.Distribution = *p.Distribution
	}
	if p.LinearizabilityCheck != nil {
		w.Check = *p.LinearizabilityCheck
	}
	if p.Conflicts != nil {
		w.Conflicts = float64(*p.Conflicts)
	}
	if p.Min != nil {
		w.MinKey = *p.Min
	}
	if p.Mu != nil {
		w.Mu = *p.Mu
	}
	if p.Sigma != nil {
		w.Sigma = *p.Sigma
	}
	if p.Move != nil {
		w.Move = *p.Move
	}
	if p.Speed != nil {
		w.Speed = paxi.Duration(time.Duration(*p.Speed) * time.Millisecond)
	}
	if p.ZipfianS != nil {
		w.ZipfianS = *p.ZipfianS
	}
	if p.ZipfianV != nil {
		w.ZipfianV = *p.ZipfianV
	}
	if p.Lambda != nil {
		w.Lambda = *p.Lambda
	}
}

// fieldNames lists the JSON names of a struct's fields.
func fieldNames(v any) []string {
	t := reflect.TypeOf(v)
	var out []string
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name == "" {
			name = t.Field(i).Name
		}
		out = append(out, name)
	}
	return out
}

// LoadWorkload reads a workload file, filling defaults for absent fields.
// It takes Agora's names (DefaultWorkload's JSON) and Paxi's; "reads" sets
// writes to 1 - reads. An unknown field is refused with the nearest known
// name.
func LoadWorkload(path string) (Workload, error) {
	w := DefaultWorkload()
	b, err := os.ReadFile(path)
	if err != nil {
		return w, err
	}
	w, err = ParseWorkload(b)
	if err != nil {
		return w, fmt.Errorf("%s: %w", path, err)
	}
	return w, nil
}

// ParseWorkload is LoadWorkload on the file's contents.
func ParseWorkload(b []byte) (Workload, error) {
	w := DefaultWorkload()
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return w, err
	}
	agora, paxiNames := fieldNames(Workload{}), fieldNames(paxiFields{})
	known := append(append([]string{"reads"}, agora...), paxiNames...)
	own, theirs := map[string]json.RawMessage{}, map[string]json.RawMessage{}
	given := map[string]bool{}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch {
		case oneOf(k, agora) || k == "reads":
			own[k] = raw[k]
		case oneOf(k, paxiNames):
			theirs[k] = raw[k]
		default:
			return w, fmt.Errorf("unknown field %q (did you mean %q?)", k, nearest(k, known))
		}
		given[k] = true
	}
	var reads *float64
	if r, ok := own["reads"]; ok {
		delete(own, "reads")
		if err := json.Unmarshal(r, &reads); err != nil {
			return w, fmt.Errorf("reads: %w", err)
		}
	}
	if err := strictDecode(own, &w); err != nil {
		return w, err
	}
	var p paxiFields
	if err := strictDecode(theirs, &p); err != nil {
		return w, err
	}
	p.apply(&w, given)
	if reads != nil {
		if given["writes"] || given["W"] {
			return w, fmt.Errorf("give reads or writes, not both")
		}
		w.Writes = 1 - *reads
	}
	return w, w.Validate()
}

func strictDecode(m map[string]json.RawMessage, v any) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// nearest is the known name closest to s by edit distance, ignoring case.
func nearest(s string, known []string) string {
	best, bestD := "", 1<<30
	for _, k := range known {
		// Case counts only to break ties: "Conflict" is Paxi's Conflicts.
		if d := 1000*cli.Distance(strings.ToLower(s), strings.ToLower(k)) + cli.Distance(s, k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}
