package storage

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// The log file starts with fileMagic. Every record after it is framed as
//
//	length      uint32, little endian: the payload's size in bytes
//	payloadCRC  uint32, little endian: CRC32C (Castagnoli) of the payload
//	headerCRC   uint32, little endian: CRC32C of the 8 bytes above
//	payload     length bytes
//
// The header checksum is there for recovery. It lets a reader reject a
// damaged length before trusting it, and it lets the reader recognise a
// record header at any offset with an 8-byte checksum, so the scan that tells
// a torn tail from mid-log corruption (see scan.go) runs in linear time. It
// also makes an all-zero header invalid: a crash often leaves zeros where a
// write was allocated but never landed, and with a payload-only checksum
// those zeros would read as a run of valid empty records.
const (
	headerSize = 12
	// fileMagic identifies a log file; its last byte is the format version.
	fileMagic = "AGORALG1"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// putHeader writes the header of payload into h.
func putHeader(h *[headerSize]byte, payload []byte) {
	binary.LittleEndian.PutUint32(h[0:4], uint32(len(payload)))
	binary.LittleEndian.PutUint32(h[4:8], crc32.Checksum(payload, castagnoli))
	binary.LittleEndian.PutUint32(h[8:12], crc32.Checksum(h[0:8], castagnoli))
}

// checkHeader checks the header at the start of b (at least headerSize
// bytes) and returns the payload length it declares, or why it is invalid.
// It trusts the length only after the header's own checksum holds.
func checkHeader(b []byte) (length int, reason string) {
	if crc32.Checksum(b[0:8], castagnoli) != binary.LittleEndian.Uint32(b[8:12]) {
		return 0, "header checksum mismatch"
	}
	n := binary.LittleEndian.Uint32(b[0:4])
	if n > MaxRecordSize {
		return 0, fmt.Sprintf("length %d exceeds MaxRecordSize", n)
	}
	return int(n), ""
}

// payloadCRC returns the payload checksum recorded in the header at the
// start of b.
func payloadCRC(b []byte) uint32 { return binary.LittleEndian.Uint32(b[4:8]) }
