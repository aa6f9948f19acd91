package transport

import (
	"io"

	"github.com/agora-consensus/agora/paxi"
)

// FrameReader splits a byte stream into frame bodies; the client protocol
// uses the same framing as the peer protocol, so it reuses this reader.
type FrameReader struct{ r *frameReader }

// NewFrameReader reads frames of at most maxFrame body bytes from r.
func NewFrameReader(r io.Reader, maxFrame int) *FrameReader {
	return &FrameReader{r: newFrameReader(r, maxFrame)}
}

// Next returns the next frame body, valid until the following call.
func (f *FrameReader) Next() ([]byte, error) { return f.r.next() }

// AppendFrame appends a length-prefixed frame carrying m to buf.
func AppendFrame(buf []byte, m paxi.Message, maxFrame int) ([]byte, error) {
	return appendFrame(buf, m, maxFrame)
}
