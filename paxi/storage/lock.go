package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// ErrLocked is returned by Lock when another process holds the lock.
var ErrLocked = errors.New("storage: held by another process")

// FileLock is an exclusive advisory lock (flock) on a file. The kernel drops
// it when the process dies, so a crash never leaves a stale lock behind.
type FileLock struct{ f *os.File }

// Lock creates path (and its directory) if needed and takes an exclusive
// lock on it without waiting. A replica takes it before it reads its log, so
// that a second process with the same id cannot read, let alone "repair",
// a log that is still being written.
func Lock(path string, noSync bool) (*FileLock, error) {
	if err := makeDirs(filepath.Dir(path), noSync); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("storage: lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s", ErrLocked, path)
		}
		return nil, fmt.Errorf("storage: lock %s: %w", path, err)
	}
	return &FileLock{f: f}, nil
}

// Close releases the lock. The file stays: removing it would let two
// processes lock two different files of the same name.
func (l *FileLock) Close() error { return l.f.Close() }

// WriteFileAtomic replaces path with data so that a crash leaves either the
// old contents or the new, never a mix: it writes a temporary file, fsyncs
// it, renames it into place and fsyncs the directory (all but the rename
// skipped with noSync).
func WriteFileAtomic(path string, data []byte, noSync bool) error {
	dir := filepath.Dir(path)
	if err := makeDirs(dir, noSync); err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("storage: write %s: %w", path, err)
	}
	_, err = f.Write(data)
	if err == nil && !noSync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("storage: write %s: %w", path, err)
	}
	if noSync {
		return nil
	}
	return syncDir(dir)
}
