package transport

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/agora-consensus/agora/paxi"
)

// A frame on a connection is a big-endian uint32 body length followed by the
// body, as made by Marshal.
const frameHeader = 4

// DefaultMaxFrame is the frame body limit when none is configured. It fits
// a batch of thousands of commands with kilobyte values while bounding what
// a corrupt length can make a reader allocate.
const DefaultMaxFrame = 16 << 20

// ErrFrameTooLarge means a frame's length exceeds the configured limit.
var ErrFrameTooLarge = errors.New("transport: frame larger than MaxFrame")

// appendFrame appends a frame carrying m to buf.
func appendFrame(buf []byte, m paxi.Message, maxFrame int) ([]byte, error) {
	start := len(buf)
	buf = append(buf, 0, 0, 0, 0)
	buf, err := Marshal(buf, m)
	if err != nil {
		return buf[:start], err
	}
	n := len(buf) - start - frameHeader
	if n > maxFrame {
		return buf[:start], fmt.Errorf("%w: %s body is %d bytes, limit %d", ErrFrameTooLarge, paxi.MessageName(m), n, maxFrame)
	}
	binary.BigEndian.PutUint32(buf[start:], uint32(n))
	return buf, nil
}

// frameReader splits a byte stream into frame bodies. A body that fits in
// the read buffer is returned in place, without copying; larger ones are
// read into a scratch buffer that grows up to the frame limit.
type frameReader struct {
	r       *bufio.Reader
	max     int    // largest body accepted
	pending int    // bytes of the previous frame still to discard from r
	scratch []byte // holds bodies larger than r's buffer
}

// readBufferSize is the size of each connection's read buffer.
const readBufferSize = 64 << 10

// keepScratch is the largest body buffer a frameReader keeps between frames.
const keepScratch = 1 << 20

func newFrameReader(r io.Reader, maxFrame int) *frameReader {
	return &frameReader{r: bufio.NewReaderSize(r, readBufferSize), max: maxFrame}
}

// next returns the next frame body. The body is valid until the next call.
// It returns io.EOF at a clean end of stream between frames, and
// io.ErrUnexpectedEOF for a stream that ends inside a frame.
func (f *frameReader) next() ([]byte, error) {
	if f.pending > 0 {
		if _, err := f.r.Discard(f.pending); err != nil {
			return nil, err
		}
		f.pending = 0
	}
	hdr, err := f.r.Peek(frameHeader)
	if err != nil {
		if err == io.EOF && len(hdr) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	n := int(binary.BigEndian.Uint32(hdr))
	if n > f.max {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, n, f.max)
	}
	if frameHeader+n <= f.r.Size() {
		b, err := f.r.Peek(frameHeader + n)
		if err != nil {
			return nil, eofInFrame(err)
		}
		f.pending = frameHeader + n
		return b[frameHeader:], nil
	}
	if _, err := f.r.Discard(frameHeader); err != nil {
		return nil, err
	}
	// Bodies up to keepScratch reuse one buffer; rarer, larger ones get
	// their own, so one huge frame does not pin its size for the life of
	// the connection. Either way the buffer grows as the body arrives,
	// never by more than it already holds (or one read buffer), because a
	// header alone costs the sender four bytes: trusting it would let a
	// hundred connections announcing 16 MiB each take gigabytes.
	var b []byte
	if n <= keepScratch {
		b = f.scratch[:0]
	}
	for len(b) < n {
		chunk := min(n-len(b), max(len(b), readBufferSize))
		b = slices.Grow(b, chunk)
		k, err := io.ReadFull(f.r, b[len(b):len(b)+chunk])
		b = b[:len(b)+k]
		if err != nil {
			return nil, eofInFrame(err)
		}
	}
	if n <= keepScratch {
		f.scratch = b
	}
	return b, nil
}

func eofInFrame(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
