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
	// ErrWrongType means UnmarshalInto was given a body of another type.
	ErrWrongType = errors.New("transport: message of another type")
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

// UnmarshalInto decodes a body made by Marshal into m, which must be a
// pointer to the registered type the body's tag names. Fields the body
// carries overwrite m's; slices are decoded into the arrays m already has
// when they are large enough, as msgpack does, so a caller that decodes one
// message after another can reuse their memory. Fields the body leaves out
// keep their values: reset what must not carry over before calling. Errors
// are those of Unmarshal; after one, m is unspecified.
func UnmarshalInto(b []byte, m paxi.Message) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: decoder panicked: %v", ErrCorrupt, r)
		}
	}()
	mt, ok := registry.typeOf(m)
	if !ok {
		return fmt.Errorf("%w: %T", ErrUnregistered, m)
	}
	if reflect.ValueOf(m).IsNil() {
		return fmt.Errorf("transport: decode %s: nil message", mt.Name)
	}
	if len(b) >= tagSize {
		if tag := binary.BigEndian.Uint16(b); tag != mt.Tag {
			name := fmt.Sprintf("tag %d", tag)
			if other, ok := registry.typeByTag(tag); ok {
				name = other.Name
			}
			return fmt.Errorf("%w: got %s, want %s", ErrWrongType, name, mt.Name)
		}
	}
	return decodeBody(b, mt, reflect.ValueOf(m).Elem())
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
	v := reflect.New(mt.Type.Elem())
	if err := decodeBody(b, mt, v.Elem()); err != nil {
		return nil, err
	}
	return v.Interface(), nil
}

// decodeBody decodes the msgpack after b's tag into v, a value of type mt.
func decodeBody(b []byte, mt paxi.MessageType, v reflect.Value) error {
	if len(b) < tagSize {
		return fmt.Errorf("%w: %d-byte body is shorter than its tag", ErrCorrupt, len(b))
	}
	if err := checkMsgpack(b[tagSize:]); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrCorrupt, mt.Name, err)
	}
	s := decoders.Get().(*decoderState)
	s.r = sliceReader{b: b[tagSize:]}
	err := s.dec.DecodeValue(v)
	left := len(s.r.b) - s.r.i
	s.r = sliceReader{}
	decoders.Put(s)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrCorrupt, mt.Name, err)
	}
	if left != 0 {
		return fmt.Errorf("%w: %s: %d bytes left over", ErrCorrupt, mt.Name, left)
	}
	return nil
}

// RoundTrip encodes m and decodes the result, as sending it over TCP
// would; the simulator and protocol tests use it to pass every message
// and record through the wire format.
func RoundTrip(m paxi.Message) (paxi.Message, error) {
	b, err := Marshal(nil, m)
	if err != nil {
		return nil, err
	}
	return Unmarshal(b)
}
