package paxi

import (
	"encoding/json"
	"strings"
	"testing"
)

// A misspelt parameter names itself, the parameters there are, and where
// to fix it (issue 13: "params":{"thrify":true}).
func TestDecodeParamsNamesTheKnownFields(t *testing.T) {
	var p struct {
		Thrifty    bool `json:"thrifty"`
		FastQuorum string
		hidden     int
		Skipped    int `json:"-"`
	}
	err := DecodeParams(json.RawMessage(`{"thrify":true}`), &p)
	if err == nil {
		t.Fatal("unknown field accepted")
	}
	for _, w := range []string{`"thrify"`, "known: thrifty, FastQuorum)", `fix "params"`} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
	_ = p.hidden
}

// AtLeastOne names the first parameter below 1, and passes when none is.
func TestAtLeastOneNamesTheFirstBelowOne(t *testing.T) {
	if err := AtLeastOne("p", Param{"a", 1}, Param{"b", 7}); err != nil {
		t.Fatalf("all at least 1: %v", err)
	}
	err := AtLeastOne("p", Param{"a", 1}, Param{"b", 0}, Param{"c", -1})
	if err == nil || err.Error() != "p: params.b must be at least 1, got 0" {
		t.Fatalf("b = 0, c = -1: got %v", err)
	}
}
