package storage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func TestFileCreatesMissingDirectoryAndLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "replica.log")
	l := mustOpen(t, path)
	checkRecords(t, l.Records(), nil)
	if l.Repaired() != 0 {
		t.Fatalf("Repaired = %d on a new log", l.Repaired())
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != fileMagic {
		t.Fatalf("new log holds %q, want just the magic", data)
	}
	if _, err := os.Stat(path + ".tmp"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("temporary file left behind: %v", err)
	}
}

func TestFileEmptyFileIsANewLog(t *testing.T) {
	path := logPath(t)
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	l := mustOpen(t, path)
	checkRecords(t, l.Records(), nil)
	l.Append([]byte("one"))
	l.Close()
	checkRecords(t, mustOpen(t, path).Records(), [][]byte{[]byte("one")})
}

func TestFileRefusesAndKeepsAFileThatIsNotALog(t *testing.T) {
	for _, content := range []string{"{\"replicas\": 3}\n", "AGO", "AGORALG2 a later format"} {
		path := logPath(t)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := OpenFile(path, quiet); !errors.Is(err, ErrNotLog) {
			t.Fatalf("OpenFile of %q = %v, want ErrNotLog", content, err)
		}
		if data, _ := os.ReadFile(path); string(data) != content {
			t.Fatalf("file changed from %q to %q", content, data)
		}
	}
}

func TestFileSyncedRecordsSurviveACrashWithoutClose(t *testing.T) {
	path := logPath(t)
	l := mustOpen(t, path)
	defer l.Close()
	l.Append([]byte("synced"))
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	l.Append([]byte("still in the buffer"))
	// Reading the file while l is still open is what a restart after the
	// process died here would see.
	checkRecords(t, mustOpen(t, path).Records(), [][]byte{[]byte("synced")})
}

// TestFileTornTailIsRepairedAtEveryCut cuts the log at every byte offset, as
// a crash in the middle of writing it could, and checks that every record
// written entirely before the cut comes back, the rest is truncated away,
// and the log takes appends again afterwards.
func TestFileTornTailIsRepairedAtEveryCut(t *testing.T) {
	want := threeRecords()
	full, offs := writeLog(t, logPath(t), want...)
	ends := append(offs[1:], len(full))
	for cut := len(fileMagic); cut <= len(full); cut++ {
		intact := 0
		for intact < len(ends) && ends[intact] <= cut {
			intact++
		}
		goodEnd := len(fileMagic)
		if intact > 0 {
			goodEnd = ends[intact-1]
		}

		path := logPath(t)
		if err := os.WriteFile(path, full[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		l, err := OpenFile(path, quiet)
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		checkRecords(t, l.Records(), want[:intact])
		if got := l.Repaired(); got != int64(cut-goodEnd) {
			t.Fatalf("cut at %d: Repaired = %d, want %d", cut, got, cut-goodEnd)
		}
		if err := l.Append([]byte("after the repair")); err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		l = mustOpen(t, path)
		checkRecords(t, l.Records(), append(want[:intact:intact], []byte("after the repair")))
		if l.Repaired() != 0 {
			t.Fatalf("cut at %d: second open repaired %d bytes", cut, l.Repaired())
		}
		l.Close()
	}
}

func TestFileFlippedByteInMiddleRecordIsCorruption(t *testing.T) {
	full, offs := writeLog(t, logPath(t), threeRecords()...)
	for i := offs[1]; i < offs[2]; i++ {
		damaged := bytes.Clone(full)
		damaged[i] ^= 0x10
		path := logPath(t)
		os.WriteFile(path, damaged, 0o644)

		_, err := OpenFile(path, quiet)
		var ce *CorruptError
		if !errors.As(err, &ce) {
			t.Fatalf("byte %d flipped: OpenFile = %v, want *CorruptError", i, err)
		}
		if ce.Offset != int64(offs[1]) || ce.Index != 1 || ce.Next != int64(offs[2]) || ce.Path != path {
			t.Fatalf("byte %d flipped: got %+v, want record 1 at offset %d, next %d", i, ce, offs[1], offs[2])
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("offset %d", offs[1])) {
			t.Fatalf("error does not name the offset: %v", err)
		}
		if data, _ := os.ReadFile(path); !bytes.Equal(data, damaged) {
			t.Fatalf("byte %d flipped: a corrupt log was modified", i)
		}
	}
}

func TestFileFlippedByteInLastRecordIsRepaired(t *testing.T) {
	want := threeRecords()
	full, offs := writeLog(t, logPath(t), want...)
	for i := offs[2]; i < len(full); i++ {
		damaged := bytes.Clone(full)
		damaged[i] ^= 0x10
		path := logPath(t)
		os.WriteFile(path, damaged, 0o644)

		l, err := OpenFile(path, quiet)
		if err != nil {
			t.Fatalf("byte %d flipped: %v", i, err)
		}
		checkRecords(t, l.Records(), want[:2])
		if l.Repaired() != int64(len(full)-offs[2]) {
			t.Fatalf("byte %d flipped: Repaired = %d, want %d", i, l.Repaired(), len(full)-offs[2])
		}
		l.Close()
	}
}

func TestFileZeroFilledTailIsRepaired(t *testing.T) {
	path := logPath(t)
	full, _ := writeLog(t, path, threeRecords()...)
	// What a crash can leave when the file's size reached the disk but the
	// data blocks did not.
	os.WriteFile(path, append(full, make([]byte, 4096)...), 0o644)
	l := mustOpen(t, path)
	defer l.Close()
	checkRecords(t, l.Records(), threeRecords())
	if l.Repaired() != 4096 {
		t.Fatalf("Repaired = %d, want 4096", l.Repaired())
	}
}

// header builds a record header that passes its own checksum but declares
// length n, which the payload that follows need not match.
func header(n uint32) []byte {
	h := make([]byte, 12)
	binary.LittleEndian.PutUint32(h[0:4], n)
	binary.LittleEndian.PutUint32(h[8:12], crc32.Checksum(h[0:8], crc32.MakeTable(crc32.Castagnoli)))
	return h
}

func TestFileImpossibleLengthIsNeverAllocated(t *testing.T) {
	good, _ := encodeLog([]byte("good"))
	after := frame([]byte("after"))

	// At the end of the log, a declared length over the bound or past the
	// end of the file is a torn tail.
	for _, n := range []uint32{MaxRecordSize + 1, 0xffffffff, MaxRecordSize} {
		path := logPath(t)
		os.WriteFile(path, append(bytes.Clone(good), header(n)...), 0o644)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		l := mustOpen(t, path)
		runtime.ReadMemStats(&after)
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
			t.Fatalf("length %d: opening a %d-byte log allocated %d bytes", n, len(good)+12, grew)
		}
		checkRecords(t, l.Records(), [][]byte{[]byte("good")})
		l.Close()
	}

	// In the middle it is corruption, reported with the reason.
	path := logPath(t)
	os.WriteFile(path, append(append(bytes.Clone(good), header(0xffffffff)...), after...), 0o644)
	_, err := OpenFile(path, quiet)
	var ce *CorruptError
	if !errors.As(err, &ce) || !strings.Contains(ce.Reason, "exceeds MaxRecordSize") {
		t.Fatalf("OpenFile = %v, want a CorruptError about the length", err)
	}
}

func TestFileErrorsAreSticky(t *testing.T) {
	l := mustOpen(t, logPath(t))
	l.Append([]byte("x"))
	// Closing the descriptor behind the log's back makes the next write
	// fail, as a failing disk would.
	l.f.Close()
	err := l.Sync()
	if err == nil {
		t.Fatal("Sync on a closed descriptor succeeded")
	}
	if err2 := l.Append([]byte("y")); err2 != err {
		t.Fatalf("Append after a failed Sync = %v, want the same error %v", err2, err)
	}
	if err2 := l.Sync(); err2 != err {
		t.Fatalf("second Sync = %v, want the same error %v", err2, err)
	}
}

func TestFileConcurrentAppendAndSync(t *testing.T) {
	path := logPath(t)
	l := mustOpen(t, path)
	const writers, each = 4, 50
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for _, r := range recs(string(rune('a'+w)), each) {
				if err := l.Append(r); err != nil {
					t.Error(err)
				}
				if err := l.Sync(); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	l.Close()
	if got := len(mustOpen(t, path).Records()); got != writers*each {
		t.Fatalf("%d records after concurrent appends, want %d", got, writers*each)
	}
}
