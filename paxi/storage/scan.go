package storage

import (
	"fmt"
	"hash/crc32"
)

// scanResult is what scan learned from a log's contents.
type scanResult struct {
	// records are the valid records in order; they alias the scanned bytes.
	records [][]byte
	// end is the offset just past the last valid record.
	end int
	// bad says why the record at end failed its checks; "" if the log ends
	// cleanly at end.
	bad string
	// next is the offset of the first valid header after the bad record, or
	// -1 if there is none.
	next int
}

// scan reads the records of a whole log file (magic included) and stops at
// the first record that fails a check.
//
// How a torn tail is told from mid-log corruption: the log is only ever
// written sequentially, so a crash can damage only what was written after
// the last completed Sync, which is the end of the file. If a failed record
// is followed anywhere by a valid record header (one whose own checksum
// holds, which random or partly written bytes pass with probability 2^-32),
// a record was written after the failed one and reached the disk, so the
// failed one was not the last write in flight: it is corruption of data that
// was once durable, and it must not be dropped silently. If nothing valid
// follows, the failed record is the torn remains of the last write and can
// be truncated away. The search starts one byte after the failed record's
// start, not at the end its length claims, because that length is not
// trusted. The cost of this rule is that a filesystem which persists the
// pages of an unsynced write out of order can leave a hole followed by valid
// unsynced records; that is reported as corruption rather than guessed at,
// because from the bytes alone it cannot be told from a damaged synced
// record. A payload that itself contains a framed log record would likewise
// make a torn tail look like corruption; protocol records never do.
func scan(data []byte) scanResult {
	r := scanResult{next: -1}
	off := len(fileMagic)
	for {
		rest := data[off:]
		if len(rest) == 0 {
			r.end = off
			return r
		}
		r.bad = checkRecord(rest)
		if r.bad != "" {
			r.end = off
			r.next = findHeader(data, off+1)
			return r
		}
		n, _ := checkHeader(rest)
		r.records = append(r.records, rest[headerSize:headerSize+n:headerSize+n])
		off += headerSize + n
	}
}

// checkRecord says what is wrong with the record at the start of b, or ""
// if it is complete and both its checksums hold.
func checkRecord(b []byte) string {
	if len(b) < headerSize {
		return fmt.Sprintf("partial header of %d bytes at end of file", len(b))
	}
	n, reason := checkHeader(b)
	if reason != "" {
		return reason
	}
	if headerSize+n > len(b) {
		return fmt.Sprintf("length %d runs past end of file", n)
	}
	payload := b[headerSize : headerSize+n]
	if crc32.Checksum(payload, castagnoli) != payloadCRC(b) {
		return "payload checksum mismatch"
	}
	return ""
}

// findHeader returns the first offset at or after from where a valid record
// header starts, or -1.
func findHeader(data []byte, from int) int {
	for p := from; p+headerSize <= len(data); p++ {
		if _, reason := checkHeader(data[p:]); reason == "" {
			return p
		}
	}
	return -1
}
