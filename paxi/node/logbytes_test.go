package node

import (
	"testing"

	"github.com/agora-consensus/agora/paxi"
)

// agora_log_bytes follows the durable log's size on disk.
func TestLogBytesMetricFollowsTheLog(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, 1, "unreplicated", dir)
	store, err := openStore(dir, "1.1", cfg.Algorithm, false, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	n, err := New(Options{Config: cfg, ID: "1.1", Storage: store})
	if err != nil {
		t.Fatal(err)
	}
	n.sample(0)
	before := gauge(t, n.metrics, "agora_log_bytes")
	if err := n.Persist([]paxi.Message{&paxi.SlotProgress{Executed: 1}}); err != nil {
		t.Fatal(err)
	}
	n.sample(0)
	if after := gauge(t, n.metrics, "agora_log_bytes"); before <= 0 || after <= before {
		t.Fatalf("agora_log_bytes %v before a record and %v after, want it positive and growing", before, after)
	}
}

// gauge reads a gauge of m's registry.
func gauge(t *testing.T, m *Metrics, name string) float64 {
	t.Helper()
	mfs, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}
