// Package storage keeps a replica's protocol records durable across crashes.
//
// A protocol asks for records to be persisted through Ready.Persist; the host
// appends them here, calls Sync once for the whole batch (group commit), and
// only then sends the messages that depend on them. After a restart the host
// reads Records and hands them to the protocol, which rebuilds its state.
//
// Records are opaque byte slices: the node runtime encodes them (msgpack)
// before appending, so this package never needs to know a protocol's types.
//
// Two implementations share the Storage interface: File, an append-only log
// with a checksum per record that survives power loss, and Memory, for tests
// and the simulator, which can simulate a crash. The file format is described
// in record.go, and how recovery tells a torn tail from corruption in scan.go.
//
// Log (segments.go) is the compacting form of File: the records in
// segment files, snapshots beside them (snapfile.go), and SaveSnapshot
// deleting the segments a snapshot made unnecessary. A single-file log
// opens as a Log's first segment. docs/SNAPSHOTS.md has the design.
package storage

import (
	"errors"
	"fmt"
)

// Storage is a replica's durable record log.
//
// It is used by one goroutine at a time in the node runtime, but both
// implementations lock internally so that a test may crash or close a
// Storage from another goroutine.
type Storage interface {
	// Append buffers records; they are not durable until Sync returns.
	// The records are copied, so the caller may reuse its buffers.
	Append(recs ...[]byte) error
	// Sync makes everything appended so far durable with one fsync (group
	// commit). Once Append or Sync has failed, every later call fails with
	// the same error: after a failed write or fsync the state of the file is
	// unknown, and the only safe way on is to restart and recover from it.
	Sync() error
	// Records returns every record made durable before this Storage was
	// opened, in order: what the replica rebuilds its state from after a
	// restart. Every call returns the same slices; callers must not modify
	// them.
	Records() [][]byte
	// Close makes everything appended so far durable, as Sync does, and
	// releases the storage. Every later call returns ErrClosed.
	Close() error
}

// MaxRecordSize bounds one record, so that a garbage length read from a
// damaged file cannot make a reader allocate gigabytes, and so that a record
// that could never be read back is refused when it is appended.
const MaxRecordSize = 64 << 20

var (
	// ErrClosed is returned by every operation on a closed (or crashed) Storage.
	ErrClosed = errors.New("storage: closed")
	// ErrTooLarge is returned by Append for a record over MaxRecordSize.
	ErrTooLarge = errors.New("storage: record larger than MaxRecordSize")
	// ErrNotLog is returned by OpenFile for a non-empty file that does not
	// start with the log's magic bytes. Such a file is never modified: it is
	// more likely a wrong path than a damaged log.
	ErrNotLog = errors.New("storage: not an agora log file")
)

// CorruptError reports a damaged record in the middle of a log: one that
// fails its checks while valid records follow it, so it was not the torn
// tail of an interrupted write but data that was once durable and changed.
// OpenFile does not modify the file in that case; the operator decides
// whether to restore it from a peer or truncate it at Offset by hand.
type CorruptError struct {
	// Path is the log file.
	Path string
	// Offset is where the damaged record starts in the file.
	Offset int64
	// Index is the damaged record's position in the log, counting from 0;
	// the records before it are intact.
	Index int
	// Reason says which check failed.
	Reason string
	// Next is the offset of the first valid record header found after the
	// damaged record, the evidence that this is not a torn tail.
	Next int64
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("storage: %s: record %d at offset %d is corrupt (%s), and a valid record header follows at offset %d",
		e.Path, e.Index, e.Offset, e.Reason, e.Next)
}
