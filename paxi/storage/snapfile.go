package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
)

// A snapshot file is
//
//	snapMagic  8 bytes, its last byte the format version
//	position   uint64, little endian: how many log records the snapshot covers
//	length     uint64, little endian: the payload's size
//	crc        uint32, little endian: CRC32C of position, length and payload
//	payload    length bytes, opaque to this package
//
// It is written to a temporary name, fsynced, renamed into place and its
// directory fsynced (WriteFileAtomic), so a crash leaves either no snapshot
// of that position or a complete one; the checksum catches a file damaged
// afterwards, or one a filesystem left with the new name but old pages.
const (
	snapMagic      = "AGORASN1"
	snapHeaderSize = len(snapMagic) + 8 + 8 + 4
)

// SnapshotError reports a snapshot file that cannot be used: torn, damaged
// or not a snapshot. OpenLog reports it (LogOptions.Log, Log.SnapshotErrors)
// and falls back on the previous snapshot.
type SnapshotError struct {
	Path   string
	Reason string
}

func (e *SnapshotError) Error() string {
	return fmt.Sprintf("storage: snapshot %s is unusable (%s)", e.Path, e.Reason)
}

// snapHeader is the header that frames payload as a snapshot of the first
// pos records; the file is the header, then the payload. They are written
// one after the other rather than copied into one buffer: a payload of
// tens of MB held twice was most of a replica's memory while a peer was
// down (docs/SNAPSHOTS.md).
func snapHeader(pos uint64, payload []byte) []byte {
	b := make([]byte, snapHeaderSize)
	copy(b, snapMagic)
	binary.LittleEndian.PutUint64(b[8:16], pos)
	binary.LittleEndian.PutUint64(b[16:24], uint64(len(payload)))
	binary.LittleEndian.PutUint32(b[24:28], snapCRC(b, payload))
	return b
}

// snapCRC is the checksum of a framed snapshot: everything but the magic
// and the checksum field itself.
func snapCRC(hdr, payload []byte) uint32 {
	c := crc32.Checksum(hdr[8:24], castagnoli)
	return crc32.Update(c, castagnoli, payload)
}

// readSnapshot reads and checks the snapshot at path. Any failure is a
// *SnapshotError, except that path does not exist.
func readSnapshot(path string) (pos uint64, payload []byte, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return 0, nil, err
		}
		return 0, nil, &SnapshotError{Path: path, Reason: err.Error()}
	}
	bad := func(why string) (uint64, []byte, error) { return 0, nil, &SnapshotError{Path: path, Reason: why} }
	if len(b) < snapHeaderSize {
		return bad(fmt.Sprintf("%d bytes, shorter than a header", len(b)))
	}
	if string(b[:8]) != snapMagic {
		return bad("no snapshot magic")
	}
	pos = binary.LittleEndian.Uint64(b[8:16])
	n := binary.LittleEndian.Uint64(b[16:24])
	if n != uint64(len(b)-snapHeaderSize) {
		return bad(fmt.Sprintf("header says %d payload bytes, file holds %d", n, len(b)-snapHeaderSize))
	}
	if snapCRC(b, b[snapHeaderSize:]) != binary.LittleEndian.Uint32(b[24:28]) {
		return bad("checksum mismatch")
	}
	return pos, b[snapHeaderSize:], nil
}
