package transport

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// The helpers below read and write the few msgpack forms paxi.Command uses
// straight from and into byte slices. They let the command codec skip the
// encoder's one-interface-call-per-byte writer and the decoder's
// reader-based parsing when the codec owns the buffer (see command_codec.go).
// Their output is ordinary msgpack, identical to what msgpack.Encoder writes.

// sliceReader is the reader the pooled decoders read from. Unlike
// bytes.Reader it exposes the unread bytes, which is what lets the command
// codec parse a batch in place.
type sliceReader struct {
	b []byte // the whole input
	i int    // offset of the next unread byte
}

func (r *sliceReader) Read(p []byte) (int, error) {
	if r.i >= len(r.b) {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	n := copy(p, r.b[r.i:])
	r.i += n
	return n, nil
}

func (r *sliceReader) ReadByte() (byte, error) {
	if r.i >= len(r.b) {
		return 0, io.EOF
	}
	c := r.b[r.i]
	r.i++
	return c, nil
}

func (r *sliceReader) UnreadByte() error {
	if r.i == 0 {
		return errors.New("transport: UnreadByte at start of input")
	}
	r.i--
	return nil
}

var errShort = errors.New("msgpack: unexpected end of input")

func appendArrayLen(b []byte, n int) []byte {
	switch {
	case n < 16:
		return append(b, 0x90|byte(n))
	case n <= 0xffff:
		return append(b, 0xdc, byte(n>>8), byte(n))
	default:
		return binary.BigEndian.AppendUint32(append(b, 0xdd), uint32(n))
	}
}

// appendUint writes v in its most compact form, as Encoder.EncodeUint does.
func appendUint(b []byte, v uint64) []byte {
	switch {
	case v <= 0x7f:
		return append(b, byte(v))
	case v <= 0xff:
		return append(b, 0xcc, byte(v))
	case v <= 0xffff:
		return append(b, 0xcd, byte(v>>8), byte(v))
	case v <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(b, 0xce), uint32(v))
	default:
		return binary.BigEndian.AppendUint64(append(b, 0xcf), v)
	}
}

func appendString(b []byte, s string) []byte {
	n := len(s)
	switch {
	case n < 32:
		b = append(b, 0xa0|byte(n))
	case n <= 0xff:
		b = append(b, 0xd9, byte(n))
	case n <= 0xffff:
		b = append(b, 0xda, byte(n>>8), byte(n))
	default:
		b = binary.BigEndian.AppendUint32(append(b, 0xdb), uint32(n))
	}
	return append(b, s...)
}

// readArrayLen reads an array header at b[*i]; nil reads as -1.
func readArrayLen(b []byte, i *int) (int, error) {
	if *i >= len(b) {
		return 0, errShort
	}
	c := b[*i]
	*i++
	switch {
	case c >= 0x90 && c <= 0x9f:
		return int(c & 0x0f), nil
	case c == 0xc0:
		return -1, nil
	case c == 0xdc:
		v, err := readBig(b, i, 2)
		return int(v), err
	case c == 0xdd:
		v, err := readBig(b, i, 4)
		return int(v), err
	}
	return 0, fmt.Errorf("msgpack: invalid code=%x decoding array length", c)
}

// readUint reads any integer form (and nil, as zero), converting signed
// values the way Decoder.DecodeUint64 does.
func readUint(b []byte, i *int) (uint64, error) {
	if *i >= len(b) {
		return 0, errShort
	}
	c := b[*i]
	*i++
	switch {
	case c <= 0x7f:
		return uint64(c), nil
	case c >= 0xe0:
		return uint64(int8(c)), nil
	}
	switch c {
	case 0xc0:
		return 0, nil
	case 0xcc:
		return readBig(b, i, 1)
	case 0xcd:
		return readBig(b, i, 2)
	case 0xce:
		return readBig(b, i, 4)
	case 0xcf, 0xd3:
		return readBig(b, i, 8)
	case 0xd0:
		v, err := readBig(b, i, 1)
		return uint64(int8(v)), err
	case 0xd1:
		v, err := readBig(b, i, 2)
		return uint64(int16(v)), err
	case 0xd2:
		v, err := readBig(b, i, 4)
		return uint64(int32(v)), err
	}
	return 0, fmt.Errorf("msgpack: invalid code=%x decoding uint64", c)
}

// readString reads a str or bin value (nil reads as ""), copying it out of b.
func readString(b []byte, i *int) (string, error) {
	start, n, err := stringSpan(b, i)
	if err != nil || n == 0 {
		return "", err
	}
	return string(b[start : start+n]), nil
}

// stringSpan reads the header of a str or bin value (nil reads as empty)
// and returns where its payload starts and how long it is, leaving *i after
// the payload.
func stringSpan(b []byte, i *int) (start, n int, err error) {
	if *i >= len(b) {
		return 0, 0, errShort
	}
	c := b[*i]
	*i++
	var l uint64
	switch {
	case c >= 0xa0 && c <= 0xbf:
		l = uint64(c & 0x1f)
	case c == 0xc0:
		return *i, 0, nil
	case c == 0xd9 || c == 0xc4:
		l, err = readBig(b, i, 1)
	case c == 0xda || c == 0xc5:
		l, err = readBig(b, i, 2)
	case c == 0xdb || c == 0xc6:
		l, err = readBig(b, i, 4)
	default:
		return 0, 0, fmt.Errorf("msgpack: invalid code=%x decoding string/bytes length", c)
	}
	if err != nil {
		return 0, 0, err
	}
	if l > uint64(len(b)-*i) {
		return 0, 0, errShort
	}
	start = *i
	*i += int(l)
	return start, int(l), nil
}

// readBig reads an n-byte big-endian unsigned integer.
func readBig(b []byte, i *int, n int) (uint64, error) {
	if len(b)-*i < n {
		return 0, errShort
	}
	var v uint64
	for _, c := range b[*i : *i+n] {
		v = v<<8 | uint64(c)
	}
	*i += n
	return v, nil
}
