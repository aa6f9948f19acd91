package transport

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/agora-consensus/agora/paxi"
)

// adminDo sends one request to h and returns the status and decoded body.
func adminDo(t *testing.T, h http.Handler, method, body string) (int, map[string]any) {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, "/admin/faults", strings.NewReader(body)))
	raw, _ := io.ReadAll(w.Result().Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s answered %d with non-JSON %q", method, w.Code, raw)
	}
	return w.Code, out
}

// cluster is the membership the admin handlers of these tests validate against.
var cluster = []paxi.ID{a, b, c}

func TestAdminHandlerPutReplacesPostAddsDeleteHeals(t *testing.T) {
	checkLeaks(t)
	fa, _ := faultyPair(t)
	h := fa.AdminHandler(cluster)

	code, got := adminDo(t, h, "PUT", `{"drop":["1.2"],"flaky":{"1.3":0.5},"delay":{"01.2":"10ms"},"crash":true,"partition":[["1.1"],["1.2","1.3"]]}`)
	if code != http.StatusOK {
		t.Fatalf("PUT answered %d: %v", code, got)
	}
	want := Faults{
		Drop:      []paxi.ID{"1.2"},
		Flaky:     map[paxi.ID]float64{"1.3": 0.5},
		Delay:     map[paxi.ID]time.Duration{"1.2": 10 * time.Millisecond},
		Crash:     true,
		Partition: [][]paxi.ID{{"1.1"}, {"1.2", "1.3"}},
	}
	if f := fa.Faults(); !reflect.DeepEqual(f, want) {
		t.Fatalf("faults after PUT:\n got %+v\nwant %+v", f, want)
	}
	code, got = adminDo(t, h, "GET", "")
	if code != http.StatusOK || got["self"] != "1.1" || got["crash"] != true || !reflect.DeepEqual(got["delay"], map[string]any{"1.2": "10ms"}) {
		t.Fatalf("GET answered %d: %v", code, got)
	}

	// PUT replaces: what is absent is off.
	if code, got = adminDo(t, h, "PUT", `{"drop":["1.3"]}`); code != http.StatusOK {
		t.Fatalf("PUT answered %d: %v", code, got)
	}
	if f := fa.Faults(); !reflect.DeepEqual(f, Faults{Drop: []paxi.ID{"1.3"}}) {
		t.Fatalf("faults after second PUT: %+v", f)
	}

	// POST adds to what is in force, as the README's examples read.
	for _, body := range []string{`{"drop":["1.2"]}`, `{"flaky":{"1.3":0.5}}`, `{"delay":{"1.2":"5ms"}}`, `{"flaky":{"1.2":0.25}}`} {
		if code, got = adminDo(t, h, "POST", body); code != http.StatusOK {
			t.Fatalf("POST %s answered %d: %v", body, code, got)
		}
	}
	want = Faults{
		Drop:  []paxi.ID{"1.2", "1.3"},
		Flaky: map[paxi.ID]float64{"1.2": 0.25, "1.3": 0.5},
		Delay: map[paxi.ID]time.Duration{"1.2": 5 * time.Millisecond},
	}
	if f := fa.Faults(); !reflect.DeepEqual(f, want) {
		t.Fatalf("faults after four POSTs:\n got %+v\nwant %+v", f, want)
	}
	// A POSTed zero lifts that one fault; crash and partition, when
	// present, replace their setting, and an empty partition heals it.
	for _, body := range []string{`{"flaky":{"1.3":0},"crash":true,"partition":[["1.1","1.2"]]}`, `{"partition":[["1.1"]]}`} {
		if code, got = adminDo(t, h, "POST", body); code != http.StatusOK {
			t.Fatalf("POST %s answered %d: %v", body, code, got)
		}
	}
	want.Flaky = map[paxi.ID]float64{"1.2": 0.25}
	want.Crash = true
	want.Partition = [][]paxi.ID{{"1.1"}}
	if f := fa.Faults(); !reflect.DeepEqual(f, want) {
		t.Fatalf("faults after POSTing zero, crash and partitions:\n got %+v\nwant %+v", f, want)
	}
	if code, got = adminDo(t, h, "POST", `{"crash":false,"partition":[]}`); code != http.StatusOK {
		t.Fatalf("POST answered %d: %v", code, got)
	}
	want.Crash, want.Partition = false, nil
	if f := fa.Faults(); !reflect.DeepEqual(f, want) {
		t.Fatalf("faults after POSTing crash false and an empty partition:\n got %+v\nwant %+v", f, want)
	}

	if code, got = adminDo(t, h, "DELETE", ""); code != http.StatusOK {
		t.Fatalf("DELETE answered %d: %v", code, got)
	}
	if f := fa.Faults(); !reflect.DeepEqual(f, Faults{}) {
		t.Fatalf("faults after DELETE: %+v", f)
	}
	if code, _ = adminDo(t, h, "PATCH", "{}"); code != http.StatusMethodNotAllowed {
		t.Fatalf("PATCH answered %d", code)
	}
}

func TestAdminHandlerRejectsBadInputClearly(t *testing.T) {
	checkLeaks(t)
	fa, _ := faultyPair(t)
	fa.Drop(c)
	h := fa.AdminHandler(cluster)
	for body, want := range map[string]string{
		`{"drop":["1.2"]`:                       "bad JSON",
		`{"drop":"1.2"}`:                        "bad JSON",
		`{"dorp":["1.2"]}`:                      `unknown field "dorp"`,
		`{"drop":["x"]}`:                        "drop: replica id",
		`{"drop":["9.9"]}`:                      "drop: unknown replica 9.9 (the cluster is 1.1, 1.2, 1.3)",
		`{"flaky":{"1.4":0.5}}`:                 "flaky: unknown replica 1.4",
		`{"delay":{"2.1":"1ms"}}`:               "delay: unknown replica 2.1",
		`{"partition":[["1.1"],["9.9"]]}`:       "partition: unknown replica 9.9",
		`{"flaky":{"1.3":1.5}}`:                 "outside [0, 1]",
		`{"flaky":{"1.3":-0.1}}`:                "outside [0, 1]",
		`{"delay":{"1.2":"10 parsecs"}}`:        "not a duration",
		`{"delay":{"1.2":"-1s"}}`:               "outside [0, 1m0s]",
		`{"delay":{"1.2":"2h"}}`:                "outside [0, 1m0s]",
		`{"partition":[["1.1","1.2"],["1.2"]]}`: "1.2 is in both group 0 and group 1",
		`{"partition":[["1.1"],[]]}`:            "group 1 is empty",
		`{"crash":true} {"crash":false}`:        "more than one value",
		`{"partition":[["1.1"],["1.2"]],"x":1}`: `unknown field "x"`,
	} {
		for _, method := range []string{"POST", "PUT"} {
			code, got := adminDo(t, h, method, body)
			msg, _ := got["error"].(string)
			if code != http.StatusBadRequest || !strings.Contains(msg, want) {
				t.Errorf("%s %s answered %d %q; want 400 mentioning %q", method, body, code, msg, want)
			}
		}
	}
	if f := fa.Faults(); !reflect.DeepEqual(f, Faults{Drop: []paxi.ID{c}}) {
		t.Fatalf("a rejected request changed the faults: %+v", f)
	}
}
