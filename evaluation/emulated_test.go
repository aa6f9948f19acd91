package evaluation

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/sim"
)

// The written configuration loads, and each link's emulated delay is half
// the paper matrix's mean round trip, both ways.
func TestEmulatedConfigCarriesTheMatrix(t *testing.T) {
	dir := t.TempDir()
	if err := WriteEmulatedConfig(dir, "multipaxos", 37000); err != nil {
		t.Fatal(err)
	}
	cfg, err := paxi.LoadConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Replicas) != 5 || cfg.Algorithm != "multipaxos" {
		t.Fatalf("replicas %v, algorithm %q", cfg.IDs(), cfg.Algorithm)
	}
	m := sim.WAN(5)
	for a := 1; a <= 5; a++ {
		for b := 1; b <= 5; b++ {
			if a == b {
				continue
			}
			got := cfg.EmulatedDelay(paxi.ID(string(rune('0'+a))+".1"), paxi.ID(string(rune('0'+b))+".1"))
			if want := RTT(m, a, b) / 2; got < want-100*time.Microsecond || got > want+100*time.Microsecond {
				t.Errorf("%d -> %d: delay %v, want half of %v", a, b, got, RTT(m, a, b))
			}
		}
	}
}
