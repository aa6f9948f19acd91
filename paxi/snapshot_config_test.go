package paxi

import (
	"strings"
	"testing"
)

// snapshot_log_bytes below -1 is refused with a one-line error naming the
// field; -1 (no byte trigger) and a positive size are kept as given, and 0
// or an absent field mean DefaultSnapshotLogBytes, so that a config that
// says nothing about snapshots gets a bounded log.
func TestSnapshotLogBytesIsValidated(t *testing.T) {
	js := `{"replicas":[{"id":"1.1","peer":"127.0.0.1:1","client":"127.0.0.1:2","http":"127.0.0.1:3"}],"algorithm":"x"%s}`
	field := func(v string) string { return `,"snapshot_log_bytes":` + v }
	for _, c := range []struct {
		field string
		want  int64 // 0: refused
	}{
		{field("-2"), 0}, {field("-1000"), 0},
		{field("-1"), -1}, {field("0"), DefaultSnapshotLogBytes}, {"", DefaultSnapshotLogBytes},
		{field("67108864"), 64 << 20},
	} {
		cfg, err := ParseConfig([]byte(strings.Replace(js, "%s", c.field, 1)))
		if (c.want != 0) != (err == nil) {
			t.Fatalf("%q: accepted=%v, want %v (%v)", c.field, err == nil, c.want != 0, err)
		}
		if err != nil {
			if !strings.Contains(err.Error(), "snapshot_log_bytes") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("%q: error %q does not name the field on one line", c.field, err)
			}
			continue
		}
		if cfg.SnapshotLogBytes != c.want {
			t.Fatalf("%q: snapshot_log_bytes is %d, want %d", c.field, cfg.SnapshotLogBytes, c.want)
		}
	}
}
