package transport

import (
	"io"
	"net"
	"time"

	"github.com/agora-consensus/agora/paxi"
)

// FrameReader splits a byte stream into frame bodies; the client protocol
// uses the same framing as the peer protocol, so it reuses this reader.
type FrameReader struct{ r *frameReader }

// NewFrameReader reads frames of at most maxFrame body bytes from r.
func NewFrameReader(r io.Reader, maxFrame int) *FrameReader {
	return &FrameReader{r: newFrameReader(r, maxFrame)}
}

// SetTimeouts makes the reader close in on slow senders: it fails with
// ErrIdleTimeout when no frame begins on conn within idle, and with
// ErrFrameTimeout when a frame that began is not complete within frame, so
// a connection trickling a byte at a time cannot hold a server's goroutine
// and buffers for ever. Zero means no limit. conn is the connection r reads.
func (f *FrameReader) SetTimeouts(conn net.Conn, idle, frame time.Duration) {
	f.r.conn, f.r.idle, f.r.frame = conn, idle, frame
}

// Next returns the next frame body, valid until the following call.
func (f *FrameReader) Next() ([]byte, error) { return f.r.next() }

// AppendFrame appends a length-prefixed frame carrying m to buf.
func AppendFrame(buf []byte, m paxi.Message, maxFrame int) ([]byte, error) {
	return appendFrame(buf, m, maxFrame)
}
