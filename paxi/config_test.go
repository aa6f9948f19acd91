package paxi

import (
	"errors"
	"strings"
	"testing"
)

const goodConfig = `{
  "replicas": [
    {"id": "1.1", "peer": "127.0.0.1:7001", "client": "127.0.0.1:7101", "http": "127.0.0.1:7201"},
    {"id": "1.2", "peer": "127.0.0.1:7002", "client": "127.0.0.1:7102", "http": "127.0.0.1:7202"}
  ],
  "algorithm": "epaxos",
  "params": {"thrifty": true},
  "tick": "2ms"
}`

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig([]byte(goodConfig))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.IDs()) != 2 || c.MaxBatch != DefaultMaxBatch || c.Tick.D() != 2e6 || !c.FsyncEnabled() || c.AdminAccess != AdminLoopback || c.ClusterSecret != "" {
		t.Fatalf("unexpected config %+v", c)
	}
}

func TestBadConfigNamesTheField(t *testing.T) {
	cases := map[string]string{
		`{"replicas":[{"id":"x","peer":"127.0.0.1:1"}],"algorithm":"a"}`:                                     "replicas[0].id",
		`{"replicas":[{"id":"1.1","peer":"nohost"}],"algorithm":"a"}`:                                        "replicas[0].peer",
		`{"replicas":[{"id":"1.1","peer":"127.0.0.1:1"},{"id":"1.1","peer":"127.0.0.1:2"}],"algorithm":"a"}`: "replicas[1].id",
		`{"replicas":[{"id":"1.1","peer":"127.0.0.1:1"}]}`:                                                   "algorithm",
		`{"replicas":[{"id":"1.1","peer":"127.0.0.1:1"}],"algorithm":"a","tick":"fast"}`:                     "tick",
		`{"replicas":[{"id":"1.1","peer":"127.0.0.1:1"}],"algorithm":"a","max_batch":-1}`:                    "max_batch",
		`{"replicas":[{"id":"1.1","peer":"127.0.0.1:1"}],"algorithm":"a","max_batch":"x"}`:                   "max_batch",
		`{"replicas":[{"id":"1.1","peer":"127.0.0.1:1"}],"algorithm":"a","tcik":"5ms"}`:                      "tcik",
		`{"replicas":[{"id":"1.1","peer":"127.0.0.1:1"}],"algorithm":"a","cluster_secret":"short"}`:          "cluster_secret",
		`{"replicas":[{"id":"1.1","peer":"127.0.0.1:1"}],"algorithm":"a","admin_access":"everyone"}`:         "admin_access",
		`{"replicas":[{"id":"1.1","peer":"127.0.0.1:1"}],"algorithm":"a","max_frame":1048576}`:               "max_frame",
		`{"replicas":[]}`: "replicas",
		`{`:               "(file)",
	}
	for in, field := range cases {
		_, err := ParseConfig([]byte(in))
		var ce *ConfigError
		if !errors.As(err, &ce) {
			t.Errorf("%s: want a ConfigError, got %v", in, err)
			continue
		}
		if !strings.Contains(ce.Field, field) {
			t.Errorf("%s: error names %q, want %q (%v)", in, ce.Field, field, err)
		}
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(goodConfig))
	f.Add([]byte(`{"replicas":[{"id":"1.1","peer":"127.0.0.1:1"}],"algorithm":"a","tick":"1s"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseConfig(b)
		if err == nil && c.Validate() != nil {
			t.Fatal("ParseConfig accepted a config that does not validate")
		}
		if err != nil && !strings.HasPrefix(err.Error(), "config: ") {
			t.Fatalf("error without the config prefix: %v", err)
		}
	})
}
