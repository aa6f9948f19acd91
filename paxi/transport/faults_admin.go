package transport

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/agora-consensus/agora/paxi"
)

// faultsJSON is the wire form of Faults for the admin endpoint, with delays
// as Go duration strings ("10ms"), e.g.
//
//	{"drop":["1.2"],"flaky":{"1.3":0.5},"delay":{"1.2":"10ms"},"crash":true,
//	 "partition":[["1.1"],["1.2","1.3"]]}
//
// Crash is a pointer and Partition is kept nil when absent, so that a POST
// can tell "crash":false and "partition":[] (lift them) from leaving them out.
type faultsJSON struct {
	Self      paxi.ID             `json:"self,omitempty"` // shown by GET; ignored in a body
	Drop      []paxi.ID           `json:"drop,omitempty"`
	Flaky     map[paxi.ID]float64 `json:"flaky,omitempty"`
	Delay     map[paxi.ID]string  `json:"delay,omitempty"`
	Crash     *bool               `json:"crash,omitempty"`
	Partition [][]paxi.ID         `json:"partition,omitempty"`
}

// maxAdminBody bounds a fault description in a request body.
const maxAdminBody = 1 << 20

// AdminHandler serves the faults of this replica over HTTP; mount it at
// /admin/faults. cluster lists the replicas a fault may name; any other id
// is refused. Every method answers with the faults then in force:
//
//   - GET shows them.
//   - POST adds the body's faults to them: drop lists are joined, flaky and
//     delay entries are set peer by peer (0 lifts one), and crash and
//     partition, when present, replace their setting ("partition":[] heals).
//   - PUT replaces them all with the body, so GET, edit, PUT works and an
//     absent field means that fault is off.
//   - DELETE heals everything.
//
// Invalid input is answered with 400 and a JSON error, and changes nothing.
func (f *Faulty) AdminHandler(cluster []paxi.ID) http.Handler {
	members := map[paxi.ID]bool{}
	for _, id := range cluster {
		members[id] = true
	}
	var mu sync.Mutex // makes each POST's read-modify-write atomic
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch r.Method {
		case http.MethodGet:
		case http.MethodPost, http.MethodPut:
			body, err := decodeFaults(http.MaxBytesReader(w, r.Body, maxAdminBody), members, cluster)
			if err == nil {
				faults := body.Faults // PUT: absent fields are off
				if r.Method == http.MethodPost {
					faults = addFaults(f.Faults(), body)
				}
				err = f.Set(faults)
			}
			if err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
				return
			}
		case http.MethodDelete:
			f.Clear()
		default:
			w.Header().Set("Allow", "GET, POST, PUT, DELETE")
			writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "method " + r.Method + " not allowed; use GET, POST (add), PUT (replace) or DELETE (heal)"})
			return
		}
		writeJSON(w, http.StatusOK, f.faultsJSON())
	})
}

// faultBody is a decoded request body: the faults it names, and whether it
// named crash and partition at all.
type faultBody struct {
	Faults
	hasCrash, hasPartition bool
}

// addFaults is cur with the faults of b added, as POST does.
func addFaults(cur Faults, b faultBody) Faults {
	out := cur
	for _, id := range b.Drop {
		if !slices.Contains(out.Drop, id) {
			out.Drop = append(out.Drop, id)
		}
	}
	out.Flaky = maps.Clone(cur.Flaky)
	if out.Flaky == nil {
		out.Flaky = map[paxi.ID]float64{}
	}
	maps.Copy(out.Flaky, b.Flaky)
	out.Delay = maps.Clone(cur.Delay)
	if out.Delay == nil {
		out.Delay = map[paxi.ID]time.Duration{}
	}
	maps.Copy(out.Delay, b.Delay)
	if b.hasCrash {
		out.Crash = b.Crash
	}
	if b.hasPartition {
		out.Partition = b.Partition
	}
	return out
}

// decodeFaults parses and normalises a request body. Unknown fields are an
// error, so a misspelt fault is reported instead of silently ignored, and so
// is a replica outside the cluster, so a typo such as 9.9 is not a fault
// that silently does nothing.
func decodeFaults(body io.Reader, members map[paxi.ID]bool, cluster []paxi.ID) (faultBody, error) {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	var in faultsJSON
	if err := dec.Decode(&in); err != nil {
		return faultBody{}, fmt.Errorf("bad JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return faultBody{}, errors.New("bad JSON: more than one value in the body")
	}
	member := func(field string, id paxi.ID) (paxi.ID, error) {
		id, err := normalID(field, id)
		if err == nil && !members[id] {
			err = fmt.Errorf("%s: unknown replica %s (the cluster is %s)", field, id, joinIDs(cluster))
		}
		return id, err
	}
	out := faultBody{hasCrash: in.Crash != nil, hasPartition: in.Partition != nil}
	out.Crash = in.Crash != nil && *in.Crash
	for _, id := range in.Drop {
		id, err := member("drop", id)
		if err != nil {
			return faultBody{}, err
		}
		out.Drop = append(out.Drop, id)
	}
	if len(in.Flaky) > 0 {
		out.Flaky = map[paxi.ID]float64{}
		for id, p := range in.Flaky {
			id, err := member("flaky", id)
			if err != nil {
				return faultBody{}, err
			}
			out.Flaky[id] = p
		}
	}
	if len(in.Delay) > 0 {
		out.Delay = map[paxi.ID]time.Duration{}
		for id, s := range in.Delay {
			id, err := member("delay", id)
			if err != nil {
				return faultBody{}, err
			}
			d, err := time.ParseDuration(s)
			if err != nil {
				return faultBody{}, fmt.Errorf("delay %s: %q is not a duration like \"10ms\"", id, s)
			}
			out.Delay[id] = d
		}
	}
	for _, group := range in.Partition {
		var g []paxi.ID
		for _, id := range group {
			id, err := member("partition", id)
			if err != nil {
				return faultBody{}, err
			}
			g = append(g, id)
		}
		out.Partition = append(out.Partition, g)
	}
	return out, out.Validate()
}

func joinIDs(ids []paxi.ID) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = string(id)
	}
	return strings.Join(s, ", ")
}

// normalID parses id, so that "01.2" and "1.2" name the same replica.
func normalID(field string, id paxi.ID) (paxi.ID, error) {
	n, err := paxi.ParseID(string(id))
	if err != nil {
		return "", fmt.Errorf("%s: %w", field, err)
	}
	return n, nil
}

func (f *Faulty) faultsJSON() faultsJSON {
	faults := f.Faults()
	out := faultsJSON{Self: f.self, Drop: faults.Drop, Flaky: faults.Flaky, Partition: faults.Partition}
	if faults.Crash {
		out.Crash = &faults.Crash
	}
	if len(faults.Delay) > 0 {
		out.Delay = map[paxi.ID]string{}
		for id, d := range faults.Delay {
			out.Delay[id] = d.String()
		}
	}
	return out
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}
