package paxi

import (
	"strings"
	"testing"
)

// A snapshot interval below -1 is refused with an error naming the field.
func TestSnapshotEveryIsValidated(t *testing.T) {
	js := `{"replicas":[{"id":"1.1","peer":"127.0.0.1:1","client":"127.0.0.1:2","http":"127.0.0.1:3"}],"algorithm":"x","snapshot_every":%s}`
	for v, ok := range map[string]bool{"-2": false, "-1": true, "0": true, "5000": true} {
		_, err := ParseConfig([]byte(strings.Replace(js, "%s", v, 1)))
		if ok != (err == nil) || err != nil && !strings.Contains(err.Error(), "snapshot_every") {
			t.Fatalf("snapshot_every %s: %v", v, err)
		}
	}
}
