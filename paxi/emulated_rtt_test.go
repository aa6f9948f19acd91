package paxi

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestEmulatedRTTGivesHalfEachWay(t *testing.T) {
	c, err := ParseConfig([]byte(`{
  "replicas": [
    {"id": "1.1", "peer": "127.0.0.1:7001"}, {"id": "1.2", "peer": "127.0.0.1:7002"}, {"id": "1.3", "peer": "127.0.0.1:7003"}
  ],
  "algorithm": "epaxos",
  "emulated_rtt": {"1.1": {"1.2": "72ms", "1.3": "20ms"}, "1.3": {"1.1": "20ms"}}
}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		from, to ID
		want     time.Duration
	}{{"1.1", "1.2", 36 * time.Millisecond}, {"1.2", "1.1", 36 * time.Millisecond}, {"1.3", "1.1", 10 * time.Millisecond}, {"1.2", "1.3", 0}} {
		if got := c.EmulatedDelay(tc.from, tc.to); got != tc.want {
			t.Errorf("EmulatedDelay(%s, %s) = %v, want %v", tc.from, tc.to, got, tc.want)
		}
	}
}

func TestBadEmulatedRTTNamesThePair(t *testing.T) {
	const head = `{"replicas":[{"id":"1.1","peer":"127.0.0.1:1"},{"id":"1.2","peer":"127.0.0.1:2"}],"algorithm":"a","emulated_rtt":`
	cases := map[string]string{
		`{"1.9":{"1.1":"5ms"}}`:                     "emulated_rtt.1.9",
		`{"1.1":{"1.9":"5ms"}}`:                     "emulated_rtt.1.1.1.9",
		`{"1.1":{"1.1":"5ms"}}`:                     "emulated_rtt.1.1.1.1",
		`{"1.1":{"1.2":"-5ms"}}`:                    "emulated_rtt.1.1.1.2",
		`{"1.1":{"1.2":"1h"}}`:                      "emulated_rtt.1.1.1.2",
		`{"1.1":{"1.2":"5ms"},"1.2":{"1.1":"6ms"}}`: "emulated_rtt.1.",
		`{"1.1":{"1.2":"soon"}}`:                    "emulated_rtt",
	}
	for in, field := range cases {
		_, err := ParseConfig([]byte(head + in + "}"))
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
