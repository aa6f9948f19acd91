package paxi

import (
	"strings"
	"testing"
)

// A negative snapshot_log_bytes is refused with a one-line error naming
// the field; 0 (no byte trigger) and a positive size are accepted.
func TestSnapshotLogBytesIsValidated(t *testing.T) {
	js := `{"replicas":[{"id":"1.1","peer":"127.0.0.1:1","client":"127.0.0.1:2","http":"127.0.0.1:3"}],"algorithm":"x","snapshot_log_bytes":%s}`
	for v, ok := range map[string]bool{"-1": false, "-1000": false, "0": true, "67108864": true} {
		cfg, err := ParseConfig([]byte(strings.Replace(js, "%s", v, 1)))
		if ok != (err == nil) {
			t.Fatalf("snapshot_log_bytes %s: accepted=%v, want %v (%v)", v, err == nil, ok, err)
		}
		if err != nil && (!strings.Contains(err.Error(), "snapshot_log_bytes") || strings.Contains(err.Error(), "\n")) {
			t.Fatalf("snapshot_log_bytes %s: error %q does not name the field on one line", v, err)
		}
		if ok && v == "67108864" && cfg.SnapshotLogBytes != 64<<20 {
			t.Fatalf("snapshot_log_bytes parsed as %d", cfg.SnapshotLogBytes)
		}
	}
}
