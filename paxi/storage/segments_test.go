package storage

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

// small segments, so that a few records span several.
func logOpts() LogOptions {
	return LogOptions{NoSync: true, Log: slog.New(slog.DiscardHandler), SegmentBytes: 64}
}

func mustOpenLog(t *testing.T, base string, o LogOptions) *Log {
	t.Helper()
	l, err := OpenLog(base, o)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// appendSynced appends recs one per batch (one Sync each).
func appendSynced(t *testing.T, l *Log, recs [][]byte) {
	t.Helper()
	for _, r := range recs {
		if err := l.Append(r); err != nil {
			t.Fatal(err)
		}
		if err := l.Sync(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLogRollsSegmentsAndReopensWithAllRecords(t *testing.T) {
	base := logPath(t)
	l := mustOpenLog(t, base, logOpts())
	all := recs("r", 20)
	appendSynced(t, l, all)
	if l.Segments() < 3 {
		t.Fatalf("%d segments after 20 records of 64-byte segments, want several", l.Segments())
	}
	l.Close()
	l = mustOpenLog(t, base, logOpts())
	defer l.Close()
	checkRecords(t, l.Records(), all)
	if l.Position() != 20 {
		t.Fatalf("position %d, want 20", l.Position())
	}
}

// DropRecords frees what was read at open without touching the log: the
// records appended after it, and those before, are all there at the next
// open.
func TestLogDropRecordsKeepsTheLog(t *testing.T) {
	base := logPath(t)
	l := mustOpenLog(t, base, logOpts())
	all := recs("r", 20)
	appendSynced(t, l, all[:10])
	l.Close()
	l = mustOpenLog(t, base, logOpts())
	checkRecords(t, l.Records(), all[:10])
	l.DropRecords()
	if n := len(l.Records()); n != 0 {
		t.Fatalf("%d records after DropRecords, want none", n)
	}
	appendSynced(t, l, all[10:])
	l.Close()
	l = mustOpenLog(t, base, logOpts())
	defer l.Close()
	checkRecords(t, l.Records(), all)
}

// A snapshot drops the segments before the previous snapshot; reopening
// gives the newest snapshot and only the records after it.
func TestLogSnapshotTruncatesAndReopensWithTail(t *testing.T) {
	base := logPath(t)
	l := mustOpenLog(t, base, logOpts())
	all := recs("r", 60)
	for i := 0; i < 3; i++ {
		appendSynced(t, l, all[i*20:(i+1)*20])
		if err := l.SaveSnapshot(l.Position(), fmt.Appendf(nil, "state after %d", l.Position())); err != nil {
			t.Fatal(err)
		}
	}
	tail := recs("t", 5)
	appendSynced(t, l, tail)
	l.Close()
	if _, err := os.Stat(base); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("segment 0 still there after three snapshots (err %v)", err)
	}
	snaps, _ := filepath.Glob(base + ".snap.*")
	if len(snaps) != 2 {
		t.Fatalf("snapshots on disk: %v, want the newest two", snaps)
	}
	l = mustOpenLog(t, base, logOpts())
	defer l.Close()
	data, pos, ok := l.Snapshot()
	if !ok || pos != 60 || string(data) != "state after 60" {
		t.Fatalf("snapshot %q at %d (%v), want the one at 60", data, pos, ok)
	}
	checkRecords(t, l.Records(), tail)
	if l.Position() != 65 {
		t.Fatalf("position %d, want 65", l.Position())
	}
}

// A damaged newest snapshot is reported, and the previous one and the
// records after it are used: nothing the replica synced is lost.
func TestLogCorruptSnapshotFallsBackOnThePreviousOne(t *testing.T) {
	for _, damage := range []string{"flip", "truncate"} {
		t.Run(damage, func(t *testing.T) {
			base := logPath(t)
			l := mustOpenLog(t, base, logOpts())
			all := recs("r", 40)
			appendSynced(t, l, all[:20])
			l.SaveSnapshot(20, []byte("at 20"))
			appendSynced(t, l, all[20:30])
			l.SaveSnapshot(30, []byte("at 30"))
			appendSynced(t, l, all[30:])
			l.Close()
			p := snapPath(base, 30)
			b, _ := os.ReadFile(p)
			if damage == "flip" {
				b[len(b)-2] ^= 1
			} else {
				b = b[:len(b)-3]
			}
			os.WriteFile(p, b, 0o644)
			l = mustOpenLog(t, base, logOpts())
			defer l.Close()
			data, pos, _ := l.Snapshot()
			if pos != 20 || string(data) != "at 20" {
				t.Fatalf("loaded snapshot %q at %d, want the previous one at 20", data, pos)
			}
			var se *SnapshotError
			if errs := l.SnapshotErrors(); len(errs) != 1 || !errors.As(errs[0], &se) || se.Path != p {
				t.Fatalf("snapshot errors %v, want one for %s", errs, p)
			}
			checkRecords(t, l.Records(), all[20:])
		})
	}
}

// A crash at every step of SaveSnapshot leaves a log that reopens to the
// same records: the snapshot, if it landed, plus the tail after it.
func TestLogCrashAtEveryStepOfSaveSnapshot(t *testing.T) {
	for _, step := range []string{SnapBeforeRename, SnapAfterRename, SnapBeforeTruncate} {
		t.Run(step, func(t *testing.T) {
			base := logPath(t)
			o := logOpts()
			l := mustOpenLog(t, base, o)
			all := recs("r", 50)
			appendSynced(t, l, all[:20])
			l.SaveSnapshot(20, []byte("at 20"))
			appendSynced(t, l, all[20:35])
			l.SaveSnapshot(35, []byte("at 35"))
			appendSynced(t, l, all[35:])
			crash := errors.New("crash")
			l.opts.Hook = func(s string) error {
				if s == step {
					return crash
				}
				return nil
			}
			if err := l.SaveSnapshot(50, []byte("at 50")); !errors.Is(err, crash) {
				t.Fatalf("SaveSnapshot = %v, want the crash", err)
			}
			l.Close()
			l = mustOpenLog(t, base, o)
			defer l.Close()
			data, pos, _ := l.Snapshot()
			want := uint64(35)
			if step != SnapBeforeRename {
				want = 50
			}
			if pos != want || string(data) != fmt.Sprintf("at %d", want) {
				t.Fatalf("snapshot %q at %d, want the one at %d", data, pos, want)
			}
			checkRecords(t, l.Records(), all[want:])
			// The next snapshot cleans up what the crash left behind.
			appendSynced(t, l, recs("more", 3))
			if err := l.SaveSnapshot(l.Position(), []byte("last")); err != nil {
				t.Fatal(err)
			}
			if snaps, _ := filepath.Glob(base + ".snap.*"); len(snaps) > 3 {
				t.Fatalf("%d snapshot files after cleanup: %v", len(snaps), snaps)
			}
		})
	}
}

// A single-file log from before segments opens as segment 0.
func TestLogOpensASingleFileLog(t *testing.T) {
	base := logPath(t)
	writeLog(t, base, threeRecords()...)
	l := mustOpenLog(t, base, logOpts())
	defer l.Close()
	checkRecords(t, l.Records(), threeRecords())
	if _, _, ok := l.Snapshot(); ok {
		t.Fatal("a snapshot where there is none")
	}
}

// The torn tail of the last segment is repaired as File does; damage in an
// earlier, complete segment is corruption.
func TestLogTornTailRepairedButEarlierSegmentDamageIsCorrupt(t *testing.T) {
	base := logPath(t)
	l := mustOpenLog(t, base, logOpts())
	all := recs("r", 20)
	appendSynced(t, l, all)
	l.Close()
	// A torn write at the end of the last segment.
	segs, _, _ := listLog(base)
	last := segPath(base, segs[len(segs)-1])
	f, _ := os.OpenFile(last, os.O_WRONLY|os.O_APPEND, 0)
	f.Write(frame([]byte("torn"))[:7])
	f.Close()
	l = mustOpenLog(t, base, logOpts())
	checkRecords(t, l.Records(), all)
	l.Close()
	// A flipped byte in segment 0.
	b, _ := os.ReadFile(base)
	b[len(fileMagic)+headerSize] ^= 1
	os.WriteFile(base, b, 0o644)
	var ce *CorruptError
	if _, err := OpenLog(base, logOpts()); !errors.As(err, &ce) || ce.Path != base {
		t.Fatalf("OpenLog = %v, want corruption of %s", err, base)
	}
}

// A missing middle segment is refused rather than read around.
func TestLogMissingSegmentIsRefused(t *testing.T) {
	base := logPath(t)
	l := mustOpenLog(t, base, logOpts())
	appendSynced(t, l, recs("r", 20))
	l.Close()
	segs, _, _ := listLog(base)
	os.Remove(segPath(base, segs[1]))
	if _, err := OpenLog(base, logOpts()); err == nil {
		t.Fatal("a log with a segment missing opened")
	}
}

// A snapshot may cover only synced records.
func TestLogSnapshotNeedsSyncedRecords(t *testing.T) {
	base := logPath(t)
	l := mustOpenLog(t, base, logOpts())
	defer l.Close()
	l.Append(recs("r", 3)...)
	if err := l.SaveSnapshot(3, nil); err == nil {
		t.Fatal("snapshot of unsynced records accepted")
	}
	l.Sync()
	if err := l.SaveSnapshot(3, nil); err != nil {
		t.Fatal(err)
	}
}

// SaveSnapshot runs beside Append and Sync (the node saves in the
// background), and the reopened log is the last snapshot plus every
// record after it.
func TestLogSnapshotConcurrentWithAppends(t *testing.T) {
	base := logPath(t)
	l := mustOpenLog(t, base, logOpts())
	all := recs("r", 300)
	done := make(chan error)
	go func() {
		var err error
		for i := 0; i < 20 && err == nil; i++ {
			l.mu.Lock()
			pos := l.synced
			l.mu.Unlock()
			err = l.SaveSnapshot(pos, fmt.Appendf(nil, "%d", pos))
		}
		done <- err
	}()
	appendSynced(t, l, all)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	l.Close()
	l = mustOpenLog(t, base, logOpts())
	defer l.Close()
	data, pos, _ := l.Snapshot()
	if string(data) != fmt.Sprint(pos) {
		t.Fatalf("snapshot %q at %d", data, pos)
	}
	checkRecords(t, l.Records(), all[pos:])
}

// Roll before a snapshot at Position makes the snapshot start a segment,
// so that the next open reads the records after it only, not the rest of
// the segment before it. Roll is a no-op while records are unsynced or
// when the last segment holds none.
func TestLogRollStartsASegmentAtTheSnapshot(t *testing.T) {
	base := logPath(t)
	o := logOpts()
	o.SegmentBytes = 1 << 20 // no roll by size here
	l := mustOpenLog(t, base, o)
	appendSynced(t, l, recs("r", 50))
	if err := l.Append([]byte("unsynced")); err != nil {
		t.Fatal(err)
	}
	if err := l.Roll(); err != nil || l.Segments() != 1 {
		t.Fatalf("Roll with a record unsynced: err %v, %d segments, want 1", err, l.Segments())
	}
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second finds the new segment empty
		if err := l.Roll(); err != nil {
			t.Fatal(err)
		}
	}
	if l.Segments() != 2 {
		t.Fatalf("%d segments after Roll, want 2", l.Segments())
	}
	if err := l.SaveSnapshot(l.Position(), []byte("state")); err != nil {
		t.Fatal(err)
	}
	tail := recs("t", 5)
	appendSynced(t, l, tail)
	l.Close()
	if _, err := os.Stat(segPath(base, 51)); err != nil {
		t.Fatalf("no segment starting at the snapshot's record 51: %v", err)
	}
	l = mustOpenLog(t, base, o)
	defer l.Close()
	if _, pos, ok := l.Snapshot(); !ok || pos != 51 {
		t.Fatalf("snapshot at %d (%v), want 51", pos, ok)
	}
	checkRecords(t, l.Records(), tail)
}

// A Roll that fails leaves no segment behind: the node only warns and goes
// on appending to the old segment, so a new segment file left on disk made
// the next open refuse the log ("holds records 0..7, but the next segment
// starts at 5").
func TestFailedRollLeavesTheLogOpenable(t *testing.T) {
	base := logPath(t)
	o := logOpts()
	o.NoSync = false // the directory fsync is where this Roll fails
	o.SegmentBytes = 1 << 20
	l := mustOpenLog(t, base, o)
	appendSynced(t, l, recs("a", 5))
	syncDir = func(string) error { return errors.New("injected directory fsync failure") }
	t.Cleanup(func() { syncDir = fsyncDir })
	err := l.Roll()
	syncDir = fsyncDir // the appends and the open below fsync for real
	if err == nil {
		t.Fatal("Roll succeeded with the directory fsync failing")
	}
	more := recs("b", 3)
	appendSynced(t, l, more)
	l.Close()
	l, err = OpenLog(base, o)
	if err != nil {
		t.Fatalf("open after a failed Roll: %v", err)
	}
	defer l.Close()
	checkRecords(t, l.Records(), append(recs("a", 5), more...))
}
