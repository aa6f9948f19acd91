package transport

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

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

// ErrIdleTimeout and ErrFrameTimeout are what a frame reader with timeouts
// returns when no frame began within the idle timeout, or when a frame
// that began did not end within the frame timeout.
var (
	ErrIdleTimeout  = errors.New("transport: no frame within the idle timeout")
	ErrFrameTimeout = errors.New("transport: frame not complete within the frame timeout")
)

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

	conn  deadliner     // if set, gets a read deadline before every read that may block
	idle  time.Duration // longest wait for the first byte of a frame; 0 is no limit
	frame time.Duration // longest wait from a frame's first byte to its last; 0 is no limit
}

// deadliner is the part of net.Conn the timeouts need.
type deadliner interface{ SetReadDeadline(time.Time) error }

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
	if f.conn != nil {
		b, err := f.nextTimed()
		if errors.Is(err, os.ErrDeadlineExceeded) {
			err = fmt.Errorf("%w (%v)", ErrFrameTimeout, f.frame)
		}
		return b, err
	}
	return f.read()
}

// nextTimed sets the read deadline for the frame to come: the idle timeout
// until its first byte arrives, then the frame timeout for the rest. A
// frame that is already buffered whole needs no read, and so no deadline,
// which keeps the cost off pipelined traffic.
func (f *frameReader) nextTimed() ([]byte, error) {
	if f.r.Buffered() == 0 {
		f.conn.SetReadDeadline(deadline(f.idle))
		if _, err := f.r.Peek(1); err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				err = fmt.Errorf("%w (%v)", ErrIdleTimeout, f.idle)
			}
			return nil, err
		}
	}
	if !f.buffered() {
		f.conn.SetReadDeadline(deadline(f.frame))
	}
	return f.read()
}

// deadline is d from now, or no deadline for 0.
func deadline(d time.Duration) time.Time {
	if d <= 0 {
		return time.Time{}
	}
	return time.Now().Add(d)
}

// buffered reports whether the next frame is in the read buffer whole.
func (f *frameReader) buffered() bool {
	if f.r.Buffered() < frameHeader {
		return false
	}
	hdr, _ := f.r.Peek(frameHeader)
	return f.r.Buffered() >= frameHeader+int(binary.BigEndian.Uint32(hdr))
}

// read reads the next frame body, whose reads may block.
func (f *frameReader) read() ([]byte, error) {
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
	// the connection.
	if n <= cap(f.scratch) {
		b := f.scratch[:n]
		if _, err := io.ReadFull(f.r, b); err != nil {
			return nil, eofInFrame(err)
		}
		return b, nil
	}
	// A header alone costs the sender four bytes, so the body is only
	// allocated once it has arrived: until then it is held in chunks of
	// one read buffer, as it comes. Trusting the header let a hundred
	// connections announcing 16 MiB each take 1.6 GiB.
	var chunks [][]byte
	for got := 0; got < n; {
		c := make([]byte, min(n-got, readBufferSize))
		if _, err := io.ReadFull(f.r, c); err != nil {
			return nil, eofInFrame(err)
		}
		chunks = append(chunks, c)
		got += len(c)
	}
	b := make([]byte, 0, n)
	for _, c := range chunks {
		b = append(b, c...)
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
