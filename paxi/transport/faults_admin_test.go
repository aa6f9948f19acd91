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

func TestAdminHandlerSetsShowsAndClearsFaults(t *testing.T) {
	checkLeaks(t)
	fa, _ := faultyPair(t)
	h := fa.AdminHandler()

	code, got := adminDo(t, h, "POST", `{"drop":["1.2"],"flaky":{"1.3":0.5},"delay":{"01.2":"10ms"},"crash":true,"partition":[["1.1"],["1.2","1.3"]]}`)
	if code != http.StatusOK {
		t.Fatalf("POST answered %d: %v", code, got)
	}
	want := Faults{
		Drop:      []paxi.ID{"1.2"},
		Flaky:     map[paxi.ID]float64{"1.3": 0.5},
		Delay:     map[paxi.ID]time.Duration{"1.2": 10 * time.Millisecond},
		Crash:     true,
		Partition: [][]paxi.ID{{"1.1"}, {"1.2", "1.3"}},
	}
	if f := fa.Faults(); !reflect.DeepEqual(f, want) {
		t.Fatalf("faults after POST:\n got %+v\nwant %+v", f, want)
	}
	code, got = adminDo(t, h, "GET", "")
	if code != http.StatusOK || got["self"] != "1.1" || got["crash"] != true || !reflect.DeepEqual(got["delay"], map[string]any{"1.2": "10ms"}) {
		t.Fatalf("GET answered %d: %v", code, got)
	}

	// POST replaces: what is absent is off.
	if code, got = adminDo(t, h, "POST", `{"drop":["1.3"]}`); code != http.StatusOK {
		t.Fatalf("POST answered %d: %v", code, got)
	}
	if f := fa.Faults(); !reflect.DeepEqual(f, Faults{Drop: []paxi.ID{"1.3"}}) {
		t.Fatalf("faults after second POST: %+v", f)
	}

	if code, got = adminDo(t, h, "DELETE", ""); code != http.StatusOK {
		t.Fatalf("DELETE answered %d: %v", code, got)
	}
	if f := fa.Faults(); !reflect.DeepEqual(f, Faults{}) {
		t.Fatalf("faults after DELETE: %+v", f)
	}
	if code, _ = adminDo(t, h, "PUT", "{}"); code != http.StatusMethodNotAllowed {
		t.Fatalf("PUT answered %d", code)
	}
}

func TestAdminHandlerRejectsBadInputClearly(t *testing.T) {
	checkLeaks(t)
	fa, _ := faultyPair(t)
	fa.Drop(c)
	h := fa.AdminHandler()
	for body, want := range map[string]string{
		`{"drop":["1.2"]`:                       "bad JSON",
		`{"drop":"1.2"}`:                        "bad JSON",
		`{"dorp":["1.2"]}`:                      `unknown field "dorp"`,
		`{"drop":["x"]}`:                        "drop: replica id",
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
		code, got := adminDo(t, h, "POST", body)
		msg, _ := got["error"].(string)
		if code != http.StatusBadRequest || !strings.Contains(msg, want) {
			t.Errorf("POST %s answered %d %q; want 400 mentioning %q", body, code, msg, want)
		}
	}
	if f := fa.Faults(); !reflect.DeepEqual(f, Faults{Drop: []paxi.ID{c}}) {
		t.Fatalf("a rejected POST changed the faults: %+v", f)
	}
}
