package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Log is a durable record log whose prefix can be dropped cheaply: the
// records live in segment files of about LogOptions.SegmentBytes each, and
// a snapshot taken at a position (a count of records) lets every segment
// before it be deleted whole.
//
// Files, for a log at base (e.g. state/replica-1.1.log):
//
//	base                   the segment holding records from 0 (the same file
//	                       a single-file log used, so such a log opens as
//	                       it is)
//	base.00000000000000012345       the segment whose first record is 12345
//	base.snap.00000000000000012000  the snapshot of records 0..11999
//
// Every segment has the format of File (record.go). Records are numbered
// across segments; a new segment is started only after a Sync, so every
// segment but the last is complete and synced, and only the last may have
// a torn tail.
//
// OpenLog loads the newest valid snapshot and reads only the segments from
// the one holding its position on: Records are the records after the
// snapshot. A torn or damaged snapshot is reported (SnapshotErrors and a
// warning) and the one before it used, which is why the log keeps the
// segments back to the previous snapshot, not the newest one.
type Log struct {
	mu   sync.Mutex
	base string
	opts LogOptions
	log  *slog.Logger
	// cur is the last segment, the one appended to.
	cur *File
	// segs are the segments on disk in order, the last one cur's.
	segs []segment
	// next numbers the next record appended; synced counts the records
	// made durable.
	next, synced uint64
	// records are the records after the snapshot found at open.
	records [][]byte
	// snap is the snapshot found at open (nil payload if none).
	snapPos  uint64
	snapData []byte
	hasSnap  bool
	snapErrs []error
	// snaps are the valid snapshots on disk, oldest first.
	snaps []snapFile
	// saving serialises SaveSnapshot.
	saving sync.Mutex
}

var _ Storage = (*Log)(nil)

type segment struct {
	start uint64
	path  string
	size  int64 // of a closed segment; the last one's is cur.Size()
}

type snapFile struct {
	pos  uint64
	path string
	size int64
}

// LogOptions tunes OpenLog.
type LogOptions struct {
	// NoSync and Log are as in FileOptions.
	NoSync bool
	Log    *slog.Logger
	// SegmentBytes starts a new segment once the last one reaches it;
	// 0 means DefaultSegmentBytes.
	SegmentBytes int64
	// Hook, when set, is called at each step of SaveSnapshot (the
	// SnapStep constants). An error from it stops the snapshot at that
	// step and is returned, leaving the files as a crash there would: tests
	// use it to check that every step is safe to crash at.
	Hook func(step string) error
}

// DefaultSegmentBytes is the segment size unless LogOptions says otherwise.
const DefaultSegmentBytes = 64 << 20

// The steps of SaveSnapshot at which LogOptions.Hook is called.
const (
	// SnapBeforeRename: the temporary file is written and fsynced.
	SnapBeforeRename = "before-rename"
	// SnapAfterRename: the snapshot is in place and its directory fsynced.
	SnapAfterRename = "after-rename"
	// SnapBeforeTruncate: about to delete older snapshots and segments.
	SnapBeforeTruncate = "before-truncate"
)

func segPath(base string, start uint64) string {
	if start == 0 {
		return base
	}
	return fmt.Sprintf("%s.%020d", base, start)
}

func snapPath(base string, pos uint64) string {
	return fmt.Sprintf("%s.snap.%020d", base, pos)
}

// listLog finds the segments and snapshots of base, each sorted.
func listLog(base string) (segs []uint64, snaps []uint64, err error) {
	dir, name := filepath.Split(base)
	if dir == "" {
		dir = "."
	}
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("storage: list %s: %w", dir, err)
	}
	for _, e := range ents {
		n := e.Name()
		if n == name {
			segs = append(segs, 0)
			continue
		}
		rest, ok := strings.CutPrefix(n, name+".")
		if !ok {
			continue
		}
		list := &segs
		if r, ok := strings.CutPrefix(rest, "snap."); ok {
			rest, list = r, &snaps
		}
		if len(rest) != 20 {
			continue // a .tmp left by a crash, or not ours
		}
		v, err := strconv.ParseUint(rest, 10, 64)
		if err != nil || v == 0 && list == &segs {
			continue
		}
		*list = append(*list, v)
	}
	sort.Slice(segs, func(i, j int) bool { return segs[i] < segs[j] })
	sort.Slice(snaps, func(i, j int) bool { return snaps[i] < snaps[j] })
	return segs, snaps, nil
}

// OpenLog opens (or creates) the log at base; see Log.
func OpenLog(base string, opts LogOptions) (*Log, error) {
	if opts.SegmentBytes <= 0 {
		opts.SegmentBytes = DefaultSegmentBytes
	}
	l := &Log{base: base, opts: opts, log: opts.Log}
	if l.log == nil {
		l.log = slog.Default()
	}
	segs, snaps, err := listLog(base)
	if err != nil {
		return nil, err
	}
	// The newest snapshot that reads back whole and that the segments
	// reach; a bad one is reported and the previous one tried.
	for i := len(snaps) - 1; i >= 0; i-- {
		p := snapPath(base, snaps[i])
		pos, data, err := readSnapshot(p)
		if err == nil && pos != snaps[i] {
			err = &SnapshotError{Path: p, Reason: fmt.Sprintf("holds position %d, not the %d of its name", pos, snaps[i])}
		}
		if err != nil {
			l.snapErrs = append(l.snapErrs, err)
			l.log.Warn("storage: skipping unusable snapshot", "err", err)
			continue
		}
		if !l.hasSnap {
			l.hasSnap, l.snapPos, l.snapData = true, pos, data
		}
		l.snaps = append([]snapFile{{pos: pos, path: p, size: int64(snapHeaderSize + len(data))}}, l.snaps...)
	}
	if len(segs) == 0 {
		if l.hasSnap {
			return nil, fmt.Errorf("storage: %s: snapshot at record %d but no log segment: restore the segments, or move the snapshots away to start empty", base, l.snapPos)
		}
		segs = []uint64{0}
	}
	// Read from the segment that holds the snapshot's position on.
	first := 0
	for i, s := range segs {
		if s <= l.snapPos {
			first = i
		}
	}
	if segs[first] > l.snapPos {
		return nil, fmt.Errorf("storage: %s: the log starts at record %d, but the newest usable snapshot covers only %d: records %d..%d are missing; restore them or a newer snapshot",
			base, segs[first], l.snapPos, l.snapPos, segs[first]-1)
	}
	for i := first; i < len(segs); i++ {
		start, p := segs[i], segPath(base, segs[i])
		var recs [][]byte
		if i == len(segs)-1 {
			f, err := OpenFile(p, FileOptions{NoSync: opts.NoSync, Log: l.log})
			if err != nil {
				return nil, err
			}
			l.cur, recs = f, f.Records()
		} else if recs, err = readSegment(p); err != nil {
			return nil, err
		}
		if i+1 < len(segs) && start+uint64(len(recs)) != segs[i+1] {
			return nil, fmt.Errorf("storage: %s holds records %d..%d, but the next segment starts at %d: restore the missing records",
				p, start, start+uint64(len(recs))-1, segs[i+1])
		}
		for k, r := range recs {
			if start+uint64(k) >= l.snapPos {
				l.records = append(l.records, r)
			}
		}
		l.next = start + uint64(len(recs))
	}
	for i, s := range segs {
		l.segs = append(l.segs, segment{start: s, path: segPath(base, s)})
		if i < len(segs)-1 {
			l.segs[i].size = statSize(l.segs[i].path)
		}
	}
	if l.next < l.snapPos {
		l.cur.Close()
		return nil, fmt.Errorf("storage: %s: the snapshot covers %d records but the log holds only %d: the log lost synced records", base, l.snapPos, l.next)
	}
	l.synced = l.next
	return l, nil
}

// readSegment reads a complete segment, one that is not the last: it was
// synced before the next one was started, so any damage is corruption.
func readSegment(path string) ([][]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("storage: read %s: %w", path, err)
	}
	if len(data) < len(fileMagic) || string(data[:len(fileMagic)]) != fileMagic {
		return nil, fmt.Errorf("storage: open %s: %w", path, ErrNotLog)
	}
	r := scan(data)
	if r.bad != "" {
		return nil, &CorruptError{Path: path, Offset: int64(r.end), Index: len(r.records), Reason: r.bad + ", in a segment that later segments follow", Next: int64(r.next)}
	}
	return r.records, nil
}

func statSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// Append implements Storage.
func (l *Log) Append(recs ...[]byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.cur.Append(recs...); err != nil {
		return err
	}
	l.next += uint64(len(recs))
	return nil
}

// Sync implements Storage: one fsync of the last segment. When that
// segment has grown to SegmentBytes, the next record goes to a new one.
func (l *Log) Sync() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.cur.Sync(); err != nil {
		return err
	}
	l.synced = l.next
	if l.cur.Size() < l.opts.SegmentBytes {
		return nil
	}
	return l.roll()
}

// Roll starts a new segment at the next record, if every record appended
// is synced and the last segment holds any. The node rolls just before it
// takes a snapshot at Position: the snapshot then starts a segment, and
// OpenLog reads only the records after it, not the rest of a segment of
// up to SegmentBytes before it (a restart's time is then the tail's, which
// the snapshot trigger bounds).
func (l *Log) Roll() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.synced != l.next {
		return nil
	}
	return l.roll()
}

// roll is Roll with l.mu held and every record synced.
func (l *Log) roll() error {
	last := &l.segs[len(l.segs)-1]
	if l.next == last.start {
		return nil
	}
	f, err := OpenFile(segPath(l.base, l.next), FileOptions{NoSync: l.opts.NoSync, Log: l.log})
	if err != nil {
		return err
	}
	last.size = l.cur.Size()
	l.cur.Close()
	l.cur = f
	l.segs = append(l.segs, segment{start: l.next, path: segPath(l.base, l.next)})
	return nil
}

// DropRecords forgets the records read at open, as File.DropRecords does,
// in every segment read; Records returns nil afterwards.
func (l *Log) DropRecords() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = nil
	if l.cur != nil {
		l.cur.DropRecords()
	}
}

// Records implements Storage: the records after the snapshot that OpenLog
// loaded (all of them if there was none).
func (l *Log) Records() [][]byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.records
}

// Snapshot returns the snapshot OpenLog loaded: its payload and how many
// records it covers; ok is false if there was none.
func (l *Log) Snapshot() (payload []byte, pos uint64, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.snapData, l.snapPos, l.hasSnap
}

// SnapshotErrors lists the snapshots OpenLog found unusable, newest first.
func (l *Log) SnapshotErrors() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.snapErrs
}

// Position counts every record appended since the log began, those
// dropped by truncation included: a snapshot taken now covers Position
// records.
func (l *Log) Position() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.next
}

// Bytes is the size of the log on disk: its segments and snapshots.
func (l *Log) Bytes() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	var n int64
	for _, s := range l.segs[:len(l.segs)-1] {
		n += s.size
	}
	if l.cur != nil {
		n += l.cur.Size()
	}
	for _, s := range l.snaps {
		n += s.size
	}
	return n
}

// Segments is how many segment files the log has.
func (l *Log) Segments() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.segs)
}

// Close implements Storage.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cur.Close()
}

// SaveSnapshot makes payload the snapshot of the first pos records, which
// must be synced, and then drops what is no longer needed: the snapshots
// before the previous one and the segments wholly before the previous
// snapshot. It may run on another goroutine than Append and Sync, which go
// on meanwhile; snapshots are saved one at a time.
//
// Each step leaves a log that opens correctly if the process dies there:
// before the rename there is only a .tmp that OpenLog ignores; after it
// the new snapshot is complete and checked by its checksum; deleting old
// snapshots and segments removes nothing that the two newest snapshots
// and the records after them need.
func (l *Log) SaveSnapshot(pos uint64, payload []byte) error {
	l.saving.Lock()
	defer l.saving.Unlock()
	l.mu.Lock()
	synced := l.synced
	var prev uint64
	if n := len(l.snaps); n > 0 {
		prev = l.snaps[n-1].pos
	}
	l.mu.Unlock()
	if pos > synced {
		return fmt.Errorf("storage: snapshot at record %d, but only %d records are synced", pos, synced)
	}
	if pos < prev {
		return fmt.Errorf("storage: snapshot at record %d is older than the last one, at %d", pos, prev)
	}
	path := snapPath(l.base, pos)
	hdr := snapHeader(pos, payload)
	if err := l.writeSnapshot(path, hdr, payload); err != nil {
		return err
	}
	if err := l.step(SnapBeforeTruncate); err != nil {
		return err
	}
	l.mu.Lock()
	if n := len(l.snaps); n > 0 && l.snaps[n-1].pos == pos {
		l.snaps[n-1].size = int64(len(hdr) + len(payload))
	} else {
		l.snaps = append(l.snaps, snapFile{pos: pos, path: path, size: int64(len(hdr) + len(payload))})
	}
	var dropSnaps []snapFile
	var dropSegs []segment
	if n := len(l.snaps); n > 2 {
		dropSnaps = append(dropSnaps, l.snaps[:n-2]...)
		l.snaps = append([]snapFile(nil), l.snaps[n-2:]...)
	}
	keep := uint64(0)
	if n := len(l.snaps); n >= 2 {
		keep = l.snaps[n-2].pos
	}
	for len(l.segs) > 1 && l.segs[1].start <= keep {
		dropSegs = append(dropSegs, l.segs[0])
		l.segs = l.segs[1:]
	}
	l.mu.Unlock()
	// Old snapshots first, then segments oldest first, so that what stays
	// is always a snapshot with the records after it.
	for _, s := range dropSnaps {
		if err := os.Remove(s.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("storage: drop snapshot: %w", err)
		}
	}
	for _, s := range dropSegs {
		if err := os.Remove(s.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("storage: drop segment: %w", err)
		}
	}
	if (len(dropSnaps) > 0 || len(dropSegs) > 0) && !l.opts.NoSync {
		return syncDir(filepath.Dir(l.base))
	}
	return nil
}

// writeSnapshot is WriteFileAtomic with the hook called between its steps.
func (l *Log) writeSnapshot(path string, hdr, payload []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("storage: write %s: %w", path, err)
	}
	_, err = f.Write(hdr)
	if err == nil {
		_, err = f.Write(payload)
	}
	if err == nil && !l.opts.NoSync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = l.step(SnapBeforeRename)
		if err != nil {
			return err // as a crash would: the .tmp stays
		}
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("storage: write %s: %w", path, err)
	}
	if !l.opts.NoSync {
		if err := syncDir(filepath.Dir(path)); err != nil {
			return err
		}
	}
	return l.step(SnapAfterRename)
}

func (l *Log) step(s string) error {
	if l.opts.Hook == nil {
		return nil
	}
	return l.opts.Hook(s)
}

// LogExists reports whether any segment or snapshot of the log at base is
// on disk: once snapshots truncate, segment 0 (named base) is gone, so its
// absence alone does not mean the log is.
func LogExists(base string) (bool, error) {
	segs, snaps, err := listLog(base)
	return len(segs) > 0 || len(snaps) > 0, err
}
