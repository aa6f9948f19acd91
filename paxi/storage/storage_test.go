package storage

import (
	"errors"
	"testing"
)

// impl opens one implementation and reopens it the way a replica restarts.
type impl struct {
	name string
	open func(t *testing.T) Storage
	// reopen closes s cleanly and returns the storage a restart would find.
	reopen func(t *testing.T, s Storage) Storage
}

func impls() []impl {
	return []impl{
		{
			name: "Memory",
			open: func(*testing.T) Storage { return NewMemory() },
			reopen: func(t *testing.T, s Storage) Storage {
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
				return s.(*Memory).Crash()
			},
		},
		{
			name: "File",
			open: func(t *testing.T) Storage { return mustOpen(t, logPath(t)) },
			reopen: func(t *testing.T, s Storage) Storage {
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
				return mustOpen(t, s.(*File).path)
			},
		},
	}
}

func TestRoundTripSurvivesReopen(t *testing.T) {
	for _, im := range impls() {
		t.Run(im.name, func(t *testing.T) {
			s := im.open(t)
			checkRecords(t, s.Records(), nil)
			if err := s.Append([]byte("a"), []byte{}, []byte("ccc")); err != nil {
				t.Fatal(err)
			}
			if err := s.Sync(); err != nil {
				t.Fatal(err)
			}
			// Appended but not synced: a clean Close still keeps it.
			if err := s.Append([]byte("d")); err != nil {
				t.Fatal(err)
			}
			s = im.reopen(t, s)
			want := [][]byte{[]byte("a"), {}, []byte("ccc"), []byte("d")}
			checkRecords(t, s.Records(), want)

			if err := s.Append([]byte("e")); err != nil {
				t.Fatal(err)
			}
			s = im.reopen(t, s)
			checkRecords(t, s.Records(), append(want, []byte("e")))
			s.Close()
		})
	}
}

func TestAppendCopiesTheCallersBuffer(t *testing.T) {
	for _, im := range impls() {
		t.Run(im.name, func(t *testing.T) {
			s := im.open(t)
			buf := []byte("original")
			if err := s.Append(buf); err != nil {
				t.Fatal(err)
			}
			copy(buf, "CHANGED!")
			s = im.reopen(t, s)
			checkRecords(t, s.Records(), [][]byte{[]byte("original")})
			s.Close()
		})
	}
}

func TestClosedStorageRefusesEverything(t *testing.T) {
	for _, im := range impls() {
		t.Run(im.name, func(t *testing.T) {
			s := im.open(t)
			if err := s.Sync(); err != nil {
				t.Fatalf("Sync with nothing appended: %v", err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if err := s.Append([]byte("x")); !errors.Is(err, ErrClosed) {
				t.Errorf("Append after Close = %v, want ErrClosed", err)
			}
			if err := s.Sync(); !errors.Is(err, ErrClosed) {
				t.Errorf("Sync after Close = %v, want ErrClosed", err)
			}
			if err := s.Close(); !errors.Is(err, ErrClosed) {
				t.Errorf("second Close = %v, want ErrClosed", err)
			}
		})
	}
}

func TestOversizedRecordIsRefusedWhole(t *testing.T) {
	big := make([]byte, MaxRecordSize+1)
	for _, im := range impls() {
		t.Run(im.name, func(t *testing.T) {
			s := im.open(t)
			if err := s.Append([]byte("small"), big); !errors.Is(err, ErrTooLarge) {
				t.Fatalf("Append = %v, want ErrTooLarge", err)
			}
			// The refusal is not sticky and wrote nothing of the batch.
			if err := s.Append([]byte("next")); err != nil {
				t.Fatal(err)
			}
			s = im.reopen(t, s)
			checkRecords(t, s.Records(), [][]byte{[]byte("next")})
			s.Close()
		})
	}
}
