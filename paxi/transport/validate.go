package transport

import (
	"encoding/binary"
	"fmt"
)

// maxNesting bounds how deeply arrays and maps may nest in one body. Real
// messages nest a handful of levels; the bound keeps msgpack's recursive
// decoder (and its Skip of unknown fields) from exhausting the stack on a
// corrupt body of nested array headers.
const maxNesting = 64

// checkMsgpack verifies, without decoding, that b holds exactly one
// well-formed msgpack value whose every array, map, string and binary
// length fits in the bytes that remain. msgpack v5.4.1 allocates a slice of
// whatever length an array header claims (its allocation limit is disabled
// by a bug in decodeSliceValue), so a few corrupt bytes could otherwise ask
// for gigabytes and kill the process with an unrecoverable out-of-memory
// error. After this check every allocation is bounded by the body's length.
func checkMsgpack(b []byte) error {
	end, err := valueEnd(b)
	if err == nil && end != len(b) {
		err = fmt.Errorf("%d bytes left over", len(b)-end)
	}
	return err
}

// valueEnd returns the offset just past the first msgpack value in b, with
// the checks described at checkMsgpack.
func valueEnd(b []byte) (int, error) {
	var stack [maxNesting]uint64
	depth := 0
	var left uint64 = 1 // values still to read at the current level
	i := 0
	for {
		for left == 0 {
			if depth == 0 {
				return i, nil
			}
			depth--
			left = stack[depth]
		}
		// Most values in a message are small integers and short strings;
		// step over runs of them without the general case below.
		for left > 0 && i < len(b) {
			c := b[i]
			if c <= 0x7f || c >= 0xe0 {
				i++
			} else if c&0xe0 == 0xa0 {
				i += 1 + int(c&0x1f)
			} else {
				break
			}
			left--
		}
		if i > len(b) {
			return len(b), fmt.Errorf("string runs past the end at byte %d", len(b))
		}
		if left == 0 {
			continue
		}
		if i >= len(b) {
			return i, fmt.Errorf("truncated at byte %d", i)
		}
		c := b[i]
		i++
		left--
		var skip, items uint64 // payload bytes to skip; child values that follow
		var lenSize int        // bytes of length field after the code
		switch {
		case c <= 0x7f || c >= 0xe0: // positive and negative fixint
		case c <= 0x8f: // fixmap
			items = 2 * uint64(c&0x0f)
		case c <= 0x9f: // fixarray
			items = uint64(c & 0x0f)
		case c <= 0xbf: // fixstr
			skip = uint64(c & 0x1f)
		default:
			switch c {
			case 0xc0, 0xc2, 0xc3: // nil, false, true
			case 0xc4, 0xd9: // bin8, str8
				lenSize = 1
			case 0xc5, 0xda: // bin16, str16
				lenSize = 2
			case 0xc6, 0xdb: // bin32, str32
				lenSize = 4
			case 0xc7: // ext8: length, then a type byte
				lenSize, skip = 1, 1
			case 0xc8: // ext16
				lenSize, skip = 2, 1
			case 0xc9: // ext32
				lenSize, skip = 4, 1
			case 0xcc, 0xd0: // uint8, int8
				skip = 1
			case 0xcd, 0xd1: // uint16, int16
				skip = 2
			case 0xca, 0xce, 0xd2: // float32, uint32, int32
				skip = 4
			case 0xcb, 0xcf, 0xd3: // float64, uint64, int64
				skip = 8
			case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8: // fixext 1, 2, 4, 8, 16 plus a type byte
				skip = 1 + 1<<(c-0xd4)
			case 0xdc, 0xde: // array16, map16
				lenSize = 2
			case 0xdd, 0xdf: // array32, map32
				lenSize = 4
			default: // 0xc1 is never used
				return i, fmt.Errorf("invalid code 0x%02x at byte %d", c, i-1)
			}
		}
		if lenSize > 0 {
			if len(b)-i < lenSize {
				return i, fmt.Errorf("truncated length at byte %d", i)
			}
			var n uint64
			switch lenSize {
			case 1:
				n = uint64(b[i])
			case 2:
				n = uint64(binary.BigEndian.Uint16(b[i:]))
			case 4:
				n = uint64(binary.BigEndian.Uint32(b[i:]))
			}
			i += lenSize
			switch c {
			case 0xdc, 0xdd:
				items = n
			case 0xde, 0xdf:
				items = 2 * n
			default:
				skip += n
			}
		}
		if skip > uint64(len(b)-i) {
			return i, fmt.Errorf("value at byte %d runs %d bytes past the end", i, skip-uint64(len(b)-i))
		}
		i += int(skip)
		if items > 0 {
			// Every value takes at least one byte, so a header that claims
			// more values than there are bytes left is corrupt.
			if items > uint64(len(b)-i) {
				return i, fmt.Errorf("header at byte %d claims %d values in %d bytes", i, items, len(b)-i)
			}
			if depth == maxNesting {
				return i, fmt.Errorf("nested deeper than %d at byte %d", maxNesting, i)
			}
			stack[depth] = left
			depth++
			left = items
		}
	}
}
