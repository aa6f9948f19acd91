package storage

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzOpenFile opens logs with arbitrary contents after the magic. OpenFile
// must never panic; when it succeeds, the records it returns, framed again,
// must be exactly the start of the file (so each one passed its checksums)
// and the file must now end there; when it reports corruption the file must
// be untouched; and the log must take appends afterwards.
func FuzzOpenFile(f *testing.F) {
	full, offs := encodeLog(threeRecords()...)
	f.Add(full[len(fileMagic):])
	f.Add(full[len(fileMagic) : len(full)-5])
	f.Add(append(full[len(fileMagic):], make([]byte, 64)...))
	for _, i := range []int{offs[1], offs[1] + 3, offs[1] + 13, offs[2] + 20} {
		damaged := bytes.Clone(full)
		damaged[i] ^= 0xff
		f.Add(damaged[len(fileMagic):])
	}
	f.Add(append(header(MaxRecordSize+1), frame([]byte("x"))...))
	f.Add([]byte{})

	dir := f.TempDir()
	// fsync proves nothing here and would make each run a thousand times slower.
	opts := quiet
	opts.NoSync = true
	f.Fuzz(func(t *testing.T, body []byte) {
		path := filepath.Join(dir, "fuzz.log")
		content := append([]byte(fileMagic), body...)
		if err := os.WriteFile(path, content, 0o644); err != nil {
			t.Fatal(err)
		}
		l, err := OpenFile(path, opts)
		var ce *CorruptError
		if errors.As(err, &ce) {
			if data, _ := os.ReadFile(path); !bytes.Equal(data, content) {
				t.Fatal("a corrupt log was modified")
			}
			if ce.Offset < int64(len(fileMagic)) || ce.Next <= ce.Offset || ce.Next > int64(len(content)) {
				t.Fatalf("implausible %+v for a %d-byte file", ce, len(content))
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		got := l.Records()
		want, _ := encodeLog(got...)
		if !bytes.Equal(want, content[:min(len(want), len(content))]) {
			t.Fatal("returned records that are not the framed start of the file")
		}
		if l.Repaired() != int64(len(content)-len(want)) {
			t.Fatalf("Repaired = %d, want %d", l.Repaired(), len(content)-len(want))
		}
		if data, _ := os.ReadFile(path); !bytes.Equal(data, want) {
			t.Fatal("file after repair is not exactly its valid records")
		}
		if err := l.Append([]byte("after")); err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if l, err = OpenFile(path, opts); err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		checkRecords(t, l.Records(), append(got[:len(got):len(got)], []byte("after")))
	})
}
