package storage

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestLockIsExclusiveUntilClosed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new", "replica.lock")
	l, err := Lock(path, false)
	if err != nil {
		t.Fatal(err)
	}
	// flock locks belong to an open file, so a second open in this same
	// process conflicts just as another process would.
	if _, err := Lock(path, false); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Lock = %v, want ErrLocked", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l, err = Lock(path, false)
	if err != nil {
		t.Fatalf("Lock after Close: %v", err)
	}
	l.Close()
}

func TestWriteFileAtomicReplaces(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d", "marker")
	for _, s := range []string{"one", "two"} {
		if err := WriteFileAtomic(path, []byte(s), false); err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(path); err != nil || string(b) != s {
			t.Fatalf("read %q, %v; want %q", b, err, s)
		}
	}
	if _, err := os.Stat(path + ".tmp"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("temporary file left behind: %v", err)
	}
}
