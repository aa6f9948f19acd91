package node

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/storage"
	"github.com/agora-consensus/agora/paxi/transport"
)

// A replica's files in storage_dir, beside the log (StorePath):
//
//	replica-ID.lock  flock'd while a process runs the replica
//	replica-ID.json  the marker: which algorithm wrote the log, and whether
//	                 the replica ever persisted a record
//
// The marker is what lets a replica tell "new" from "lost its log": a log
// that is missing or empty while the marker says records were persisted
// means the replica would rejoin having forgotten its votes and promises,
// which can break safety, so it refuses unless started with Fresh.

func lockPath(dir string, id paxi.ID) string {
	return filepath.Join(dir, "replica-"+string(id)+".lock")
}

func markerPath(dir string, id paxi.ID) string {
	return filepath.Join(dir, "replica-"+string(id)+".json")
}

// marker is the content of replica-ID.json.
type marker struct {
	Replica   paxi.ID `json:"replica"`
	Algorithm string  `json:"algorithm"`
	Persisted bool    `json:"persisted"` // a record reached the log once
}

// readMarker returns the marker, or nil if there is none.
func readMarker(path string) (*marker, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m marker
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s is not a replica marker (%v): move it away", path, err)
	}
	return &m, nil
}

func writeMarker(path string, m marker, noSync bool) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return storage.WriteFileAtomic(path, append(b, '\n'), noSync)
}

// lockReplica takes replica id's lock in dir, first of all, so that a
// second process with the same id stops before it reads the log or binds
// a port.
func lockReplica(dir string, id paxi.ID, noSync bool) (*storage.FileLock, error) {
	lock, err := storage.Lock(lockPath(dir, id), noSync)
	if errors.Is(err, storage.ErrLocked) {
		return nil, fmt.Errorf("storage_dir %s: replica %s's log is held by another process (lock %s): stop that process first, or give this one another storage_dir",
			dir, id, lockPath(dir, id))
	}
	return lock, err
}

// openStore opens replica id's log under dir for algorithm (the caller
// holds the replica's lock), and refuses every start that would silently
// lose or mix up what the replica persisted before. Every error is one
// line that says what to do.
func openStore(dir string, id paxi.ID, algorithm string, fresh, noSync bool, log *slog.Logger) (_ storage.Storage, err error) {
	mpath, path := markerPath(dir, id), StorePath(dir, id)
	m, err := readMarker(mpath)
	if err != nil {
		return nil, err
	}
	forgot := func(what string) error {
		return fmt.Errorf("replica %s: %s is %s, but this replica persisted votes or promises before (%s): starting empty would forget them; restore the log, or start with -fresh to rejoin as a new replica",
			id, path, what, mpath)
	}
	// Once snapshots truncate, segment 0 (path itself) is gone: the log is
	// missing only with no segment and no snapshot.
	if exists, err := storage.LogExists(path); err != nil {
		return nil, err
	} else if !exists && m != nil && m.Persisted && !fresh {
		return nil, forgot("missing")
	}
	// A Log reads a single-file log as its first segment (storage.Log).
	f, err := storage.OpenLog(path, storage.LogOptions{NoSync: noSync, Log: log, Hook: crashHookFromEnv()})
	var corrupt *storage.CorruptError
	switch {
	case errors.As(err, &corrupt):
		return nil, fmt.Errorf("%w: restore the log from a backup, or truncate it at offset %d by hand (losing the records from %d on)", err, corrupt.Offset, corrupt.Index)
	case errors.Is(err, storage.ErrNotLog):
		return nil, fmt.Errorf("%w: it was left untouched; move it away or set another storage_dir", err)
	case err != nil:
		return nil, err
	}
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	n := len(f.Records())
	if _, _, ok := f.Snapshot(); ok {
		n++ // the snapshot holds what the records before it did
	}
	switch {
	case n == 0 && m != nil && m.Persisted && !fresh:
		return nil, forgot("empty")
	case n > 0 && fresh:
		return nil, fmt.Errorf("replica %s: -fresh, but %s holds %d record(s): -fresh never discards a log; delete it (and %s) by hand to start this replica afresh",
			id, path, n, mpath)
	}
	writer := ""
	if m != nil {
		writer = m.Algorithm
	}
	if w := recordsAlgorithm(f.Records()); w != "" {
		writer = w
	}
	if writer != "" && writer != algorithm && !(fresh && n == 0) {
		what := "was written by " + writer
		if n == 0 {
			what = "belongs to a replica of " + writer
		}
		return nil, fmt.Errorf("replica %s: %s %s, not %s: set another storage_dir for %s, or delete the directory %s to start afresh",
			id, path, what, algorithm, algorithm, dir)
	}
	want := marker{Replica: id, Algorithm: algorithm, Persisted: n > 0}
	if m == nil || *m != want && (fresh || n > 0) {
		if err := writeMarker(mpath, want, noSync); err != nil {
			return nil, err
		}
	}
	s := &markedStore{Storage: f, marked: want.Persisted}
	s.mark = func() error {
		want.Persisted = true
		return writeMarker(mpath, want, noSync)
	}
	return s, nil
}

// recordsAlgorithm names the protocol whose records the log holds, from
// the registered name of the first one ("epaxos.VoteRecord"), or "" if
// that is not a protocol's.
func recordsAlgorithm(recs [][]byte) string {
	if len(recs) == 0 {
		return ""
	}
	m, err := transport.Unmarshal(recs[0])
	if err != nil {
		return "" // New reports the record that cannot be decoded
	}
	name, _, _ := strings.Cut(paxi.MessageName(m), ".")
	if _, err := paxi.Lookup(name); err != nil {
		return ""
	}
	return name
}

// markedStore is the replica's log, which notes in the marker the first
// time a record is synced (once per replica, before anything depending on
// it is sent).
type markedStore struct {
	storage.Storage
	mark    func() error
	marked  bool
	pending bool
}

// DropRecords passes the call on to a store that can drop its records.
func (s *markedStore) DropRecords() { dropRecords(s.Storage) }

// dropRecords lets st free the records it read at open (storage.Log and
// storage.File can), once the protocol was rebuilt from them.
func dropRecords(st storage.Storage) {
	if d, ok := st.(interface{ DropRecords() }); ok {
		d.DropRecords()
	}
}

func (s *markedStore) Append(recs ...[]byte) error {
	if len(recs) > 0 {
		s.pending = true
	}
	return s.Storage.Append(recs...)
}

func (s *markedStore) Sync() error {
	if err := s.Storage.Sync(); err != nil {
		return err
	}
	if s.pending && !s.marked {
		if err := s.mark(); err != nil {
			return err
		}
		s.marked = true
	}
	return nil
}

// Bytes is the log's size on disk, for the agora_log_bytes metric.
func (s *markedStore) Bytes() int64 {
	if b, ok := s.Storage.(interface{ Bytes() int64 }); ok {
		return b.Bytes()
	}
	return 0
}
