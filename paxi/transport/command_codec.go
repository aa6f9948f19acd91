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
var commandFields = []struct {
	name string
	kind reflect.Kind
}{
	{"Op", reflect.Uint8},
	{"Key", reflect.String},
	{"Value", reflect.String},
	{"ClientID", reflect.Uint64},
	{"CommandID", reflect.Uint64},
}

func init() {
	t := reflect.TypeOf(paxi.Command{})
	ok := t.NumField() == len(commandFields)
	for i := 0; ok && i < t.NumField(); i++ {
		f := t.Field(i)
		ok = f.Name == commandFields[i].name && f.Type.Kind() == commandFields[i].kind
	}
	if !ok {
		panic(fmt.Sprintf("transport: paxi.Command is now %v; update the codec in paxi/transport/command_codec.go", t))
	}
	msgpack.Register(paxi.Command{}, encodeCommandValue, decodeCommandValue)
	// Batches get their own codec too: msgpack's generic slice codec looks
	// the element codec up in a sync.Map and goes through reflection for
	// every element.
	msgpack.Register([]paxi.Command(nil), encodeCommandsValue, decodeCommandsValue)
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
	if vs+vl-ks > sharedStringMax || kl == 0 || vl == 0 {
		return string(b[ks : ks+kl]), string(b[vs : vs+vl]), nil
	}
	// The span includes the value's header, a few bytes that are never read.
	s := string(b[ks : vs+vl])
	return s[:kl], s[vs-ks:], nil
}

// skipValue steps over one value of any shape at b[*i].
func skipValue(b []byte, i *int) error {
	end, err := valueEnd(b[*i:])
	*i += end
	return err
}

// The functions below bridge msgpack's reflective API to appendCommand and
// readCommand. When the codec's own pooled encoder or decoder is in use they
// work on its byte slice directly; otherwise (someone calling msgpack on a
// Command with their own writer or reader) they go through the slower
// Encoder and Decoder methods, with the same wire format.

func encodeCommandValue(e *msgpack.Encoder, v reflect.Value) error {
	c := commandOf(v)
	if w, ok := e.Writer().(*appendWriter); ok {
		w.b = appendCommand(w.b, c)
		return nil
	}
	_, err := e.Writer().Write(appendCommand(nil, c))
	return err
}

func encodeCommandsValue(e *msgpack.Encoder, v reflect.Value) error {
	var cs []paxi.Command
	if v.CanAddr() {
		cs = *v.Addr().Interface().(*[]paxi.Command)
	} else {
		cs = v.Interface().([]paxi.Command)
	}
	var b []byte
	w, fast := e.Writer().(*appendWriter)
	if fast {
		b = w.b
	}
	if cs == nil {
		b = append(b, 0xc0)
	} else {
		b = appendArrayLen(b, len(cs))
		for k := range cs {
			b = appendCommand(b, &cs[k])
		}
	}
	if fast {
		w.b = b
		return nil
	}
	_, err := e.Writer().Write(b)
	return err
}

func commandOf(v reflect.Value) *paxi.Command {
	if v.CanAddr() {
		return v.Addr().Interface().(*paxi.Command)
	}
	c := v.Interface().(paxi.Command)
	return &c
}

func decodeCommandValue(d *msgpack.Decoder, v reflect.Value) error {
	c := new(paxi.Command)
	if v.CanAddr() {
		c = v.Addr().Interface().(*paxi.Command)
	}
	if r, ok := d.Buffered().(*sliceReader); ok {
		if err := readCommand(r.b, &r.i, c); err != nil {
			return err
		}
	} else {
		raw, err := d.DecodeRaw()
		if err != nil {
			return err
		}
		i := 0
		if err := readCommand(raw, &i, c); err != nil {
			return err
		}
	}
	if !v.CanAddr() {
		v.Set(reflect.ValueOf(*c))
	}
	return nil
}

func decodeCommandsValue(d *msgpack.Decoder, v reflect.Value) error {
	var b []byte
	var i *int
	if r, ok := d.Buffered().(*sliceReader); ok {
		b, i = r.b, &r.i
	} else {
		raw, err := d.DecodeRaw()
		if err != nil {
			return err
		}
		b, i = raw, new(int)
	}
	n, err := readArrayLen(b, i)
	if err != nil {
		return err
	}
	if n < 0 {
		v.Set(reflect.Zero(v.Type()))
		return nil
	}
	// Every command takes at least one byte, which bounds the allocation
	// by the input's length even if the header is corrupt.
	if n > len(b)-*i {
		return fmt.Errorf("msgpack: %d commands claimed in %d bytes", n, len(b)-*i)
	}
	cs := make([]paxi.Command, n)
	for k := range cs {
		if err := readCommand(b, i, &cs[k]); err != nil {
			return fmt.Errorf("command %d: %w", k, err)
		}
	}
	v.Set(reflect.ValueOf(cs))
	return nil
}
