package transport

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/agora-consensus/agora/paxi"
)

// faultsJSON is the wire form of Faults for the admin endpoint, with delays
// as Go duration strings ("10ms"), e.g.
//
//	{"drop":["1.2"],"flaky":{"1.3":0.5},"delay":{"1.2":"10ms"},"crash":true,
//	 "partition":[["1.1"],["1.2","1.3"]]}
type faultsJSON struct {
	Self      paxi.ID             `json:"self,omitempty"` // shown by GET; ignored by POST
	Drop      []paxi.ID           `json:"drop,omitempty"`
	Flaky     map[paxi.ID]float64 `json:"flaky,omitempty"`
	Delay     map[paxi.ID]string  `json:"delay,omitempty"`
	Crash     bool                `json:"crash,omitempty"`
	Partition [][]paxi.ID         `json:"partition,omitempty"`
}

// maxAdminBody bounds a POSTed fault description.
const maxAdminBody = 1 << 20

// AdminHandler serves the faults of this replica over HTTP; mount it at
// /admin/faults. GET shows the faults in force; POST replaces them all with
// the JSON body (so GET, edit, POST works, and an absent field means that
// fault is off); DELETE clears them. POST and DELETE answer with the new
// state; invalid input is answered with 400 and a JSON error.
func (f *Faulty) AdminHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
		case http.MethodPost:
			faults, err := decodeFaults(http.MaxBytesReader(w, r.Body, maxAdminBody))
			if err == nil {
				err = f.Set(faults)
			}
			if err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
				return
			}
		case http.MethodDelete:
			f.Clear()
		default:
			w.Header().Set("Allow", "GET, POST, DELETE")
			writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "method " + r.Method + " not allowed; use GET, POST or DELETE"})
			return
		}
		writeJSON(w, http.StatusOK, f.faultsJSON())
	})
}

// decodeFaults parses and normalises a POSTed body. Unknown fields are an
// error, so a misspelt fault is reported instead of silently ignored.
func decodeFaults(body io.Reader) (Faults, error) {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	var in faultsJSON
	if err := dec.Decode(&in); err != nil {
		return Faults{}, fmt.Errorf("bad JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Faults{}, errors.New("bad JSON: more than one value in the body")
	}
	out := Faults{Crash: in.Crash}
	for _, id := range in.Drop {
		id, err := normalID("drop", id)
		if err != nil {
			return Faults{}, err
		}
		out.Drop = append(out.Drop, id)
	}
	if len(in.Flaky) > 0 {
		out.Flaky = map[paxi.ID]float64{}
		for id, p := range in.Flaky {
			id, err := normalID("flaky", id)
			if err != nil {
				return Faults{}, err
			}
			out.Flaky[id] = p
		}
	}
	if len(in.Delay) > 0 {
		out.Delay = map[paxi.ID]time.Duration{}
		for id, s := range in.Delay {
			id, err := normalID("delay", id)
			if err != nil {
				return Faults{}, err
			}
			d, err := time.ParseDuration(s)
			if err != nil {
				return Faults{}, fmt.Errorf("delay %s: %q is not a duration like \"10ms\"", id, s)
			}
			out.Delay[id] = d
		}
	}
	for _, group := range in.Partition {
		var g []paxi.ID
		for _, id := range group {
			id, err := normalID("partition", id)
			if err != nil {
				return Faults{}, err
			}
			g = append(g, id)
		}
		out.Partition = append(out.Partition, g)
	}
	return out, out.Validate()
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
	out := faultsJSON{Self: f.self, Drop: faults.Drop, Flaky: faults.Flaky, Crash: faults.Crash, Partition: faults.Partition}
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
