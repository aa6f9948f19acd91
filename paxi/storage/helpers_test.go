package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

// quiet keeps expected repair warnings out of test output.
var quiet = FileOptions{Log: slog.New(slog.DiscardHandler)}

// frame encodes one record as the file format specifies, written out
// independently of putHeader so that the tests check the format rather
// than restate the implementation.
func frame(payload []byte) []byte {
	b := make([]byte, 12, 12+len(payload))
	binary.LittleEndian.PutUint32(b[0:4], uint32(len(payload)))
	binary.LittleEndian.PutUint32(b[4:8], crc32.Checksum(payload, crc32.MakeTable(crc32.Castagnoli)))
	binary.LittleEndian.PutUint32(b[8:12], crc32.Checksum(b[0:8], crc32.MakeTable(crc32.Castagnoli)))
	return append(b, payload...)
}

// encodeLog returns the bytes of a log holding recs, and the offset at which
// each record starts.
func encodeLog(recs ...[]byte) ([]byte, []int) {
	b := []byte(fileMagic)
	offs := make([]int, len(recs))
	for i, r := range recs {
		offs[i] = len(b)
		b = append(b, frame(r)...)
	}
	return b, offs
}

// threeRecords are the records most tests put in a log: the middle one is
// the "mid-log" record and the last one the "tail".
func threeRecords() [][]byte {
	return [][]byte{
		[]byte("first record"),
		bytes.Repeat([]byte("m"), 40),
		[]byte("the last record, which a crash may tear"),
	}
}

// writeLog writes recs through the File API, closes the log and returns its
// bytes and record offsets.
func writeLog(t testing.TB, path string, recs ...[]byte) ([]byte, []int) {
	t.Helper()
	l, err := OpenFile(path, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Append(recs...); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, offs := encodeLog(recs...)
	if !bytes.Equal(data, want) {
		t.Fatalf("file is\n%q\nwant\n%q", data, want)
	}
	return data, offs
}

// mustOpen opens path and fails the test on error.
func mustOpen(t testing.TB, path string) *File {
	t.Helper()
	l, err := OpenFile(path, quiet)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// checkRecords fails the test unless got equals want.
func checkRecords(t testing.TB, got, want [][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d records %q, want %d %q", len(got), got, len(want), want)
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("record %d is %q, want %q", i, got[i], want[i])
		}
	}
}

// logPath returns a fresh log path in a test's temporary directory.
func logPath(t testing.TB) string { return filepath.Join(t.TempDir(), "replica.log") }

// recs builds n distinct records for tests that only count.
func recs(prefix string, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = fmt.Appendf(nil, "%s-%d", prefix, i)
	}
	return out
}
