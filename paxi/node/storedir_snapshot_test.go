package node

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/agora-consensus/agora/paxi/storage"
)

// Once snapshots truncated the log, segment 0 (replica-ID.log) is gone:
// the replica must still start from its snapshot and later segments, not
// refuse as if it had lost its log.
func TestReplicaStartsWhenSnapshotsTruncatedSegmentZero(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	cfg := testConfig(t, 1, "unreplicated", dir)
	s, err := Start(cfg, "1.1", nil)
	if err != nil {
		t.Fatal(err)
	}
	putOne(t, cfg, "1.1") // the marker now says records were persisted
	s.Close()
	path := StorePath(dir, "1.1")
	l, err := storage.OpenLog(path, storage.LogOptions{NoSync: true, SegmentBytes: 1})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := l.Append([]byte("x")); err != nil {
			t.Fatal(err)
		}
		if err := l.Sync(); err != nil {
			t.Fatal(err)
		}
		if err := l.SaveSnapshot(l.Position(), nil); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("scenario: segment 0 still there (%v)", err)
	}
	st, err := openStore(dir, "1.1", cfg.Algorithm, false, true, nil)
	if err != nil {
		t.Fatalf("a truncated log with a snapshot: %v", err)
	}
	st.Close()
}
