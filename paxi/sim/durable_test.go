package sim

import (
	"testing"
	"time"

	"github.com/agora-consensus/agora/paxi/sim/simtest"
)

// A run that cannot crash persists as usual (and counts it) but keeps no
// records; one whose schedule crashes keeps them and restarts from them.
func TestRunKeepsRecordsOnlyWhenItCanCrash(t *testing.T) {
	cfg := Config{
		Protocol: simtest.Name, N: 3, Seed: 1, Latency: WAN(3), Duration: 2 * time.Second,
		Workload: Workload{Clients: 2},
	}
	for _, crash := range []bool{false, true} {
		c := cfg
		if crash {
			c.Schedule = []Action{{At: time.Second, Crash: "2.1"}, {At: 1500 * time.Millisecond, Restart: "2.1"}}
		}
		s, err := build(c, mayCrash(c))
		if err != nil {
			t.Fatal(err)
		}
		res := s.RunAll()
		if res.Failed() {
			t.Fatalf("crash=%v: %v", crash, res.Failures())
		}
		for _, r := range s.replicas {
			if r.persisted == 0 {
				t.Fatalf("crash=%v: %s persisted nothing", crash, r.id)
			}
			if kept := r.durable.n > 0; kept != crash {
				t.Fatalf("crash=%v: %s keeps %d of %d records", crash, r.id, r.durable.n, r.persisted)
			}
		}
	}
}
