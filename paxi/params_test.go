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
