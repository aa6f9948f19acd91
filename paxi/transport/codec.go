package transport

import (
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"sync"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/agora-consensus/agora/paxi"
)

// Errors returned by the codec. They are wrapped with context; test for them
// with errors.Is.
var (
	// ErrUnregistered means Marshal was given a value whose type was never
	// registered with paxi.RegisterMessage.
	ErrUnregistered = errors.New("transport: message type not registered")
	// ErrUnknownTag means a body starts with a tag no registered type has.
	ErrUnknownTag = errors.New("transport: unknown message tag")
	// ErrCorrupt means a body is truncated, malformed, or has bytes left over
	// after the message.
	ErrCorrupt = errors.New("transport: corrupt message")
)

// tagSize is the length of the wire tag that starts every body.
const tagSize = 2

// appendWriter is the io.Writer the pooled encoders write into. It appends to
// a caller-owned slice, which is what lets Marshal append in place instead
// of copying out of an intermediate buffer.
type appendWriter struct {
	b []byte // the caller's buffer, grown by every write
}

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

func (w *appendWriter) WriteByte(c byte) error {
	w.b = append(w.b, c)
	return nil
}

// encoderState pairs a msgpack encoder with the writer it is bound to, so a
// pooled encoder never needs Reset (which would also clear its options).
type encoderState struct {
	w   appendWriter     // destination of every encode
	enc *msgpack.Encoder // bound to w, with compact integers
}

var encoders = sync.Pool{New: func() any {
	s := &encoderState{}
	s.enc = msgpack.NewEncoder(&s.w)
	// Compact integers make small counters and ids one byte on the wire
	// instead of eight, at no measurable CPU cost.
	s.enc.UseCompactInts(true)
	return s
}}

// decoderState pairs a msgpack decoder with the reader it is bound to. A
// sliceReader is an io.ByteScanner, so the decoder reads from it directly
// without adding its own buffering.
type decoderState struct {
	r   sliceReader      // source of every decode
	dec *msgpack.Decoder // bound to r
}

var decoders = sync.Pool{New: func() any {
	s := &decoderState{}
	s.dec = msgpack.NewDecoder(&s.r)
	return s
}}

// Marshal appends the body of m to buf: the big-endian uint16 tag of m's
// registered type, then the msgpack encoding of the struct. m must be a
// pointer to a registered struct type.
func Marshal(buf []byte, m paxi.Message) ([]byte, error) {
	mt, ok := registry.typeOf(m)
	if !ok {
		return buf, fmt.Errorf("%w: %T", ErrUnregistered, m)
	}
	if reflect.ValueOf(m).IsNil() {
		return buf, fmt.Errorf("transport: encode %s: nil message", mt.Name)
	}
	s := encoders.Get().(*encoderState)
	s.w.b = binary.BigEndian.AppendUint16(buf, mt.Tag)
	err := s.enc.Encode(m)
	out := s.w.b
	s.w.b = nil
	encoders.Put(s)
	if err != nil {
		return buf, fmt.Errorf("transport: encode %s: %w", mt.Name, err)
	}
	return out, nil
}

// Unmarshal decodes a body made by Marshal into a pointer to a new value of
// the registered type. It returns an error, never panics, on an unknown tag
// and on truncated or malformed input. The result does not alias b, so the
// caller may reuse b.
func Unmarshal(b []byte) (m paxi.Message, err error) {
	// The decoder runs on bytes from the network and on message types
	// written by protocol authors; a panic deep inside it must not take the
	// replica down, so it is turned into an error like any other bad input.
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("%w: decoder panicked: %v", ErrCorrupt, r)
		}
	}()
	return unmarshal(b)
}

// unmarshal is Unmarshal without the panic guard; the fuzz targets call it so
// that a panic is reported instead of hidden.
func unmarshal(b []byte) (paxi.Message, error) {
	if len(b) < tagSize {
		return nil, fmt.Errorf("%w: %d-byte body is shorter than its tag", ErrCorrupt, len(b))
	}
	tag := binary.BigEndian.Uint16(b)
	mt, ok := registry.typeByTag(tag)
	if !ok {
		return nil, fmt.Errorf("%w %d", ErrUnknownTag, tag)
	}
	if err := checkMsgpack(b[tagSize:]); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, mt.Name, err)
	}
	v := reflect.New(mt.Type.Elem())
	s := decoders.Get().(*decoderState)
	s.r = sliceReader{b: b[tagSize:]}
	err := s.dec.DecodeValue(v.Elem())
	left := len(s.r.b) - s.r.i
	s.r = sliceReader{}
	decoders.Put(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, mt.Name, err)
	}
	if left != 0 {
		return nil, fmt.Errorf("%w: %s: %d bytes left over", ErrCorrupt, mt.Name, left)
	}
	return v.Interface(), nil
}
