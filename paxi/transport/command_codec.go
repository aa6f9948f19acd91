package transport

import (
	"fmt"
	"reflect"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/agora-consensus/agora/paxi"
)

// paxi.Command is by far the most frequent value on the wire: every batch
// carries hundreds of them. msgpack's reflective struct codec writes each
// one as a map with five field names and goes through reflection per
// field; the hand-written codec below writes a five-element array
// [Op, Key, Value, ClientID, CommandID] instead, which is smaller and
// several times faster (see BenchmarkCodecBatch and docs/perf/transport.md).

// commandFields is the field list the hand-written codec knows. init checks
// it against the real paxi.Command, so a field added there cannot be
// silently dropped on the wire and in the log.
var commandFields = []fieldSpec{
	{"Op", reflect.Uint8},
	{"Key", reflect.String},
	{"Value", reflect.String},
	{"ClientID", reflect.Uint64},
	{"CommandID", reflect.Uint64},
}

// fieldSpec names one field of a struct with a hand-written codec.
type fieldSpec struct {
	name string
	kind reflect.Kind
}

// mustMatch panics unless t has exactly the fields of spec, in order; file
// names where the codec that relies on them lives.
func mustMatch(t reflect.Type, spec []fieldSpec, file string) {
	ok := t.NumField() == len(spec)
	for i := 0; ok && i < t.NumField(); i++ {
		f := t.Field(i)
		ok = f.Name == spec[i].name && f.Type.Kind() == spec[i].kind
	}
	if !ok {
		panic(fmt.Sprintf("transport: the fields of %v changed; update the codec in paxi/transport/%s", t, file))
	}
}

func init() {
	mustMatch(reflect.TypeOf(paxi.Command{}), commandFields, "command_codec.go")
	registerArrayCodec(appendCommand, readCommand)
}

// appendCommand writes c as the array [Op, Key, Value, ClientID, CommandID].
func appendCommand(b []byte, c *paxi.Command) []byte {
	b = append(b, 0x90|byte(len(commandFields)))
	b = appendUint(b, uint64(c.Op))
	b = appendString(b, c.Key)
	b = appendString(b, c.Value)
	b = appendUint(b, c.ClientID)
	return appendUint(b, c.CommandID)
}

// readCommand reads what appendCommand writes. A shorter array leaves the
// missing fields zero and a longer one has its extra elements skipped, so a
// log written by a build with a different Command still reads.
func readCommand(b []byte, i *int, c *paxi.Command) error {
	if readCommonCommand(b, i, c) {
		return nil
	}
	n, err := readArrayLen(b, i)
	if err != nil {
		return err
	}
	*c = paxi.Command{}
	for k := 0; k < n; k++ {
		switch k {
		case 0:
			var op uint64
			if op, err = readUint(b, i); err == nil && op > 0xff {
				err = fmt.Errorf("op %d overflows uint8", op)
			}
			c.Op = paxi.Op(op)
		case 1:
			if n > 2 {
				c.Key, c.Value, err = readKeyValue(b, i)
				k++
			} else {
				c.Key, err = readString(b, i)
			}
		case 2:
			c.Value, err = readString(b, i)
		case 3:
			c.ClientID, err = readUint(b, i)
		case 4:
			c.CommandID, err = readUint(b, i)
		default:
			err = skipValue(b, i)
		}
		if err != nil {
			return fmt.Errorf("command field %d: %w", k, err)
		}
	}
	return nil
}

// readCommonCommand reads, in one straight pass, a command of the shape
// nearly every command has: five fields, an op below 128, and a key and a
// value of 1 to 31 bytes each. It reports false, having consumed nothing,
// for any other shape (readCommand then takes the general path). Decoding
// commands is a fifth of a replica's CPU at saturation, and the general
// path's call and switch per field was half of that.
func readCommonCommand(b []byte, i *int, c *paxi.Command) bool {
	j := *i
	if j+3 > len(b) || b[j] != 0x90|5 || b[j+1] > 0x7f || b[j+2]&0xe0 != 0xa0 {
		return false
	}
	ks, kl := j+3, int(b[j+2]&0x1f)
	vh := ks + kl
	if vh >= len(b) || b[vh]&0xe0 != 0xa0 {
		return false
	}
	vs, vl := vh+1, int(b[vh]&0x1f)
	if kl == 0 || vl == 0 || vs+vl > len(b) {
		return false
	}
	k := vs + vl
	client, err := readUint(b, &k)
	if err != nil {
		return false
	}
	id, err := readUint(b, &k)
	if err != nil {
		return false
	}
	key, value := joinKeyValue(b[ks:ks+kl], b[vs:vs+vl]) // kl+vl <= 62
	*c = paxi.Command{Op: paxi.Op(b[j+1]), Key: key, Value: value, ClientID: client, CommandID: id}
	*i = k
	return true
}

// sharedStringMax is the largest key-and-value span readKeyValue copies into
// one string. See readKeyValue.
const sharedStringMax = 64

// readKeyValue reads a command's key and the value that follows it. Small
// pairs share one allocation, which halves the allocations of decoding a
// batch (the largest cost left in it). The price is that a live key keeps
// its command's value alive too, for instance as a key of the state
// machine's map after the value was overwritten; the size bound caps that
// at sharedStringMax bytes per key.
func readKeyValue(b []byte, i *int) (key, value string, err error) {
	ks, kl, err := stringSpan(b, i)
	if err != nil {
		return "", "", err
	}
	vs, vl, err := stringSpan(b, i)
	if err != nil {
		return "", "", fmt.Errorf("value: %w", err)
	}
	if kl+vl > sharedStringMax || kl == 0 || vl == 0 {
		return string(b[ks : ks+kl]), string(b[vs : vs+vl]), nil
	}
	key, value = joinKeyValue(b[ks:ks+kl], b[vs:vs+vl])
	return key, value, nil
}

// joinKeyValue copies a key and a value of at most sharedStringMax bytes
// together into one string, which it returns as two. Joined without the
// value's header between them, the pair fits a smaller size class (a
// 16-byte key and value: 32 bytes, not 48).
func joinKeyValue(k, v []byte) (key, value string) {
	var joined [sharedStringMax]byte
	n := copy(joined[:], k)
	n += copy(joined[n:], v)
	s := string(joined[:n])
	return s[:len(k)], s[len(k):]
}

// skipValue steps over one value of any shape at b[*i].
func skipValue(b []byte, i *int) error {
	end, err := valueEnd(b[*i:])
	*i += end
	return err
}

// The functions below bridge msgpack's reflective API to a hand-written
// codec of a value type T and of []T (appendCommand and readCommand, say).
// When the codec's own pooled encoder or decoder is in use they work on its
// byte slice directly; otherwise (someone calling msgpack with their own
// writer or reader) they go through the slower Encoder and Decoder methods,
// with the same wire format.

// registerArrayCodec makes msgpack use appendOne and readOne for every T
// and every []T it meets, at any depth of a message.
func registerArrayCodec[T any](appendOne func([]byte, *T) []byte, readOne func([]byte, *int, *T) error) {
	var zero T
	msgpack.Register(zero, func(e *msgpack.Encoder, v reflect.Value) error {
		return encodeWith(e, func(b []byte) []byte { return appendOne(b, valueOf[T](v)) })
	}, func(d *msgpack.Decoder, v reflect.Value) error {
		x := new(T)
		if v.CanAddr() {
			x = v.Addr().Interface().(*T)
		}
		b, i, err := decodeSource(d)
		if err != nil {
			return err
		}
		if err := readOne(b, i, x); err != nil {
			return err
		}
		if !v.CanAddr() {
			v.Set(reflect.ValueOf(*x))
		}
		return nil
	})
	// Slices get their own codec too: msgpack's generic slice codec looks
	// the element codec up in a sync.Map and goes through reflection for
	// every element.
	msgpack.Register([]T(nil), func(e *msgpack.Encoder, v reflect.Value) error {
		var xs []T
		if v.CanAddr() {
			xs = *v.Addr().Interface().(*[]T)
		} else {
			xs = v.Interface().([]T)
		}
		return encodeWith(e, func(b []byte) []byte {
			if xs == nil {
				return append(b, 0xc0)
			}
			b = appendArrayLen(b, len(xs))
			for k := range xs {
				b = appendOne(b, &xs[k])
			}
			return b
		})
	}, func(d *msgpack.Decoder, v reflect.Value) error {
		b, i, err := decodeSource(d)
		if err != nil {
			return err
		}
		n, err := readArrayLen(b, i)
		if err != nil {
			return err
		}
		if n < 0 {
			v.Set(reflect.Zero(v.Type()))
			return nil
		}
		// Every element takes at least one byte, which bounds the
		// allocation by the input's length even if the header is corrupt.
		if n > len(b)-*i {
			return fmt.Errorf("msgpack: %d elements claimed in %d bytes", n, len(b)-*i)
		}
		// Like msgpack's own slice decoder, reuse the array already there
		// when it is large enough (UnmarshalInto relies on it).
		var xs []T
		if !v.IsNil() && v.Cap() >= n {
			xs = v.Slice(0, n).Interface().([]T)
		} else {
			xs = make([]T, n)
		}
		for k := range xs {
			if err := readOne(b, i, &xs[k]); err != nil {
				return fmt.Errorf("element %d: %w", k, err)
			}
		}
		v.Set(reflect.ValueOf(xs))
		return nil
	})
}

// encodeWith appends what add writes to the encoder's output: in place when
// the encoder writes into one of the codec's buffers, through the writer
// otherwise.
func encodeWith(e *msgpack.Encoder, add func([]byte) []byte) error {
	if w, ok := e.Writer().(*appendWriter); ok {
		w.b = add(w.b)
		return nil
	}
	_, err := e.Writer().Write(add(nil))
	return err
}

// decodeSource returns the bytes to parse the next value from and the
// offset to advance: the pooled decoder's own input, or else the raw value
// read from the decoder's reader.
func decodeSource(d *msgpack.Decoder) ([]byte, *int, error) {
	if r, ok := d.Buffered().(*sliceReader); ok {
		return r.b, &r.i, nil
	}
	raw, err := d.DecodeRaw()
	if err != nil {
		return nil, nil, err
	}
	return raw, new(int), nil
}

func valueOf[T any](v reflect.Value) *T {
	if v.CanAddr() {
		return v.Addr().Interface().(*T)
	}
	x := v.Interface().(T)
	return &x
}
