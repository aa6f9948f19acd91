package storage

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
)

// FileOptions tunes OpenFile.
type FileOptions struct {
	// NoSync skips every fsync (of the log and of its directory), for
	// benchmarks that measure everything but the disk. A crash may then lose
	// records that Sync reported durable.
	NoSync bool
	// Log receives a warning when a torn tail is repaired; nil means
	// slog.Default().
	Log *slog.Logger
}

// writeBufferSize is large enough that a typical group-commit batch reaches
// the kernel in one write system call.
const writeBufferSize = 64 << 10

// File is an append-only log file; see record.go for its format.
type File struct {
	// mu serialises every method, so a test may close the log from another
	// goroutine.
	mu sync.Mutex
	// path names the log in errors.
	path string
	// f is the open log, positioned at its end; nil once closed.
	f *os.File
	// w buffers appends until Sync.
	w *bufio.Writer
	// noSync skips fsync (FileOptions.NoSync).
	noSync bool
	// records are the records that were in the log when it was opened.
	records [][]byte
	// repaired is how many bytes of torn tail OpenFile truncated.
	repaired int64
	// size is the file's length once everything appended is written.
	size int64
	// dirty is set when bytes were appended since the last Sync, so an
	// empty Sync costs no fsync.
	dirty bool
	// err is the first write or fsync failure, or ErrClosed; once set,
	// every Append and Sync returns it.
	err error
	// hdr is scratch space for encoding a record header.
	hdr [headerSize]byte
}

var _ Storage = (*File)(nil)

// OpenFile opens the log at path, creating it (and its directory) if it is
// missing or empty, and reads every record in it.
//
// A torn tail left by a crash during a write is truncated away and reported
// by Repaired and a warning on opts.Log. A damaged record with valid data
// after it is returned as a *CorruptError and the file is left untouched; a
// non-empty file that is not a log is refused with ErrNotLog. The reasoning
// that separates the two cases is on scan.
func OpenFile(path string, opts FileOptions) (*File, error) {
	log := opts.Log
	if log == nil {
		log = slog.Default()
	}
	l := &File{path: path, noSync: opts.NoSync}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	var data []byte
	if err == nil {
		data, err = readAll(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("storage: read %s: %w", path, err)
		}
		if len(data) == 0 {
			// An empty file holds nothing to lose; replace it as if it were
			// missing, so that it gets its magic atomically.
			f.Close()
			err = fs.ErrNotExist
		}
	}
	if errors.Is(err, fs.ErrNotExist) {
		if f, err = createLog(path, opts.NoSync); err != nil {
			return nil, err
		}
		data = []byte(fileMagic)
	} else if err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", path, err)
	}

	if len(data) < len(fileMagic) || string(data[:len(fileMagic)]) != fileMagic {
		f.Close()
		return nil, fmt.Errorf("storage: open %s: %w", path, ErrNotLog)
	}
	r := scan(data)
	if r.bad != "" && r.next >= 0 {
		f.Close()
		return nil, &CorruptError{Path: path, Offset: int64(r.end), Index: len(r.records), Reason: r.bad, Next: int64(r.next)}
	}
	if r.bad != "" {
		if err := l.truncate(f, int64(r.end)); err != nil {
			f.Close()
			return nil, err
		}
		l.repaired = int64(len(data) - r.end)
		log.Warn("storage: repaired torn tail of log", "path", path, "offset", r.end,
			"dropped_bytes", l.repaired, "reason", r.bad)
	}
	if _, err := f.Seek(int64(r.end), io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("storage: seek %s: %w", path, err)
	}
	l.f = f
	l.w = bufio.NewWriterSize(f, writeBufferSize)
	l.records = r.records
	l.size = int64(r.end)
	return l, nil
}

// truncate cuts a torn tail off f and makes the cut durable before anything
// is appended after it.
func (l *File) truncate(f *os.File, size int64) error {
	if err := f.Truncate(size); err != nil {
		return fmt.Errorf("storage: repair %s: %w", l.path, err)
	}
	if !l.noSync {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("storage: repair %s: %w", l.path, err)
		}
	}
	return nil
}

// Append implements Storage. A record over MaxRecordSize fails the whole
// call before anything is written.
func (l *File) Append(recs ...[]byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return l.err
	}
	for _, rec := range recs {
		if len(rec) > MaxRecordSize {
			return fmt.Errorf("%w: %d bytes", ErrTooLarge, len(rec))
		}
	}
	for _, rec := range recs {
		putHeader(&l.hdr, rec)
		l.dirty = true
		l.size += int64(headerSize + len(rec))
		if _, err := l.w.Write(l.hdr[:]); err != nil {
			l.err = fmt.Errorf("storage: write %s: %w", l.path, err)
			return l.err
		}
		if _, err := l.w.Write(rec); err != nil {
			l.err = fmt.Errorf("storage: write %s: %w", l.path, err)
			return l.err
		}
	}
	return nil
}

// Sync implements Storage.
func (l *File) Sync() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.syncLocked()
}

func (l *File) syncLocked() error {
	if l.err != nil {
		return l.err
	}
	if !l.dirty {
		return nil
	}
	if err := l.w.Flush(); err != nil {
		l.err = fmt.Errorf("storage: write %s: %w", l.path, err)
		return l.err
	}
	if !l.noSync {
		if err := l.f.Sync(); err != nil {
			l.err = fmt.Errorf("storage: fsync %s: %w", l.path, err)
			return l.err
		}
	}
	l.dirty = false
	return nil
}

// Records implements Storage. The records share one buffer with the bytes
// read at open.
func (l *File) Records() [][]byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.records
}

// DropRecords forgets the records read at open, so that the buffer they
// share can be freed once the caller has rebuilt its state from them;
// Records returns nil afterwards. Kept, they held a restarted replica's
// whole last segment (tens of MiB) in memory for as long as it ran.
func (l *File) DropRecords() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = nil
}

// Repaired returns how many bytes of torn tail OpenFile truncated (0 if the
// log ended cleanly).
func (l *File) Repaired() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.repaired
}

// Size returns the file's length in bytes, counting what was appended but
// not yet synced.
func (l *File) Size() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.size
}

// Close implements Storage. It closes the file even when the final sync
// fails, and returns that failure.
func (l *File) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return ErrClosed
	}
	err := l.syncLocked()
	if cerr := l.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("storage: close %s: %w", l.path, cerr)
	}
	l.f, l.w, l.err = nil, nil, ErrClosed
	return err
}

// readAll reads f from its start to its end.
func readAll(f *os.File) ([]byte, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	data := make([]byte, st.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, err
	}
	return data, nil
}

// createLog creates a log holding only its magic. It writes a temporary file
// and renames it into place, so a crash leaves either no log or a complete
// magic, never a partial one: a file without the full magic is then never
// ours, and OpenFile can refuse it instead of truncating it. The directory is
// fsynced after the rename because the new name is not durable until its
// directory entry is.
func createLog(path string, noSync bool) (*os.File, error) {
	dir := filepath.Dir(path)
	if err := makeDirs(dir, noSync); err != nil {
		return nil, err
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("storage: create %s: %w", path, err)
	}
	fail := func(err error) (*os.File, error) {
		f.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("storage: create %s: %w", path, err)
	}
	if _, err := f.WriteString(fileMagic); err != nil {
		return fail(err)
	}
	if !noSync {
		if err := f.Sync(); err != nil {
			return fail(err)
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		return fail(err)
	}
	if !noSync {
		if err := syncDir(dir); err != nil {
			// The caller takes the error as "no log created", so none may be
			// left: a segment that Log.Roll did not adopt, left in place,
			// makes the next OpenLog refuse the log (its previous segment
			// holds the records the replica went on appending).
			f.Close()
			os.Remove(path)
			return nil, fmt.Errorf("storage: create %s: %w", path, err)
		}
	}
	return f, nil
}

// makeDirs creates dir and its missing ancestors, and fsyncs the parent of
// each directory it created so that the new entries survive a crash.
func makeDirs(dir string, noSync bool) error {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		_, err := os.Stat(d)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("storage: %w", err)
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	if noSync {
		return nil
	}
	for _, d := range missing {
		if err := syncDir(filepath.Dir(d)); err != nil {
			return err
		}
	}
	return nil
}

// syncDir fsyncs a directory, making the entries created in it durable. It
// is a variable so that a test can make it fail.
var syncDir = fsyncDir

func fsyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("storage: fsync dir: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("storage: fsync dir %s: %w", dir, err)
	}
	return nil
}
