package storage

import (
	"errors"
	"testing"
)

func TestMemoryCrashLosesOnlyUnsyncedRecords(t *testing.T) {
	m := NewMemory()
	m.Append([]byte("synced"))
	m.Sync()
	m.Append([]byte("lost"))

	restarted := m.Crash()
	checkRecords(t, restarted.Records(), [][]byte{[]byte("synced")})
	if err := m.Append([]byte("from a dead replica")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append on crashed Memory = %v, want ErrClosed", err)
	}

	restarted.Append([]byte("after restart"))
	restarted.Sync()
	// Records are what was durable at the restart, not what came after.
	checkRecords(t, restarted.Records(), [][]byte{[]byte("synced")})
	checkRecords(t, restarted.Crash().Records(), [][]byte{[]byte("synced"), []byte("after restart")})
}

func TestMemorySetErrorFailsAppendAndSync(t *testing.T) {
	m := NewMemory()
	diskFull := errors.New("disk full")
	m.Append([]byte("pending"))
	m.SetError(diskFull)
	if err := m.Append([]byte("x")); err != diskFull {
		t.Fatalf("Append = %v, want %v", err, diskFull)
	}
	if err := m.Sync(); err != diskFull {
		t.Fatalf("Sync = %v, want %v", err, diskFull)
	}
	m.SetError(nil)
	if err := m.Sync(); err != nil {
		t.Fatal(err)
	}
	checkRecords(t, m.Crash().Records(), [][]byte{[]byte("pending")})
}
