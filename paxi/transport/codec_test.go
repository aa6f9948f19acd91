package transport

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/agora-consensus/agora/paxi"
)

func TestCodecRoundTripsRegisteredTypes(t *testing.T) {
	msgs := []paxi.Message{
		&Ping{Seq: 1, Ballot: -3, Slot: 1 << 40, Sender: "1.2"},
		&Ping{},
		newBatch(3),
		newBatch(0),
		&Batch{Commands: []paxi.Command{{Op: paxi.Noop}}, Note: []byte{0, 1, 2}},
		&Small{Ballot: 1, Slot: 2, Command: paxi.Command{Op: paxi.Delete, Key: "k", ClientID: 1<<64 - 1, CommandID: 5}},
		&Answers{Replies: []paxi.Reply{{ClientID: 1<<64 - 1, CommandID: 1}, {ClientID: 3, CommandID: 1 << 40, Value: "v", Err: "not the leader", Leader: "1.2"}}},
		&Answers{Replies: []paxi.Reply{}, One: paxi.Reply{Value: string(make([]byte, 300))}},
	}
	for _, m := range msgs {
		b, err := Marshal(nil, m)
		if err != nil {
			t.Fatalf("Marshal(%#v): %v", m, err)
		}
		got, err := Unmarshal(b)
		if err != nil {
			t.Fatalf("Unmarshal(Marshal(%#v)): %v", m, err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Errorf("round trip changed the message:\n got %#v\nwant %#v", got, m)
		}
	}
}

func TestMarshalAppendsToBuffer(t *testing.T) {
	prefix := []byte("hdr")
	b, err := Marshal(prefix, &Ping{Seq: 9})
	if err != nil {
		t.Fatal(err)
	}
	if string(b[:3]) != "hdr" {
		t.Fatalf("Marshal overwrote the buffer's contents: %q", b[:3])
	}
	mt, _ := paxi.MessageOf(&Ping{})
	if tag := binary.BigEndian.Uint16(b[3:]); tag != mt.Tag {
		t.Fatalf("body starts with tag %d, want %d", tag, mt.Tag)
	}
	got, err := Unmarshal(b[3:])
	if err != nil || got.(*Ping).Seq != 9 {
		t.Fatalf("Unmarshal = %#v, %v", got, err)
	}
}

func TestMarshalRejectsUnregisteredAndNil(t *testing.T) {
	type unregistered struct{ X int }
	if _, err := Marshal(nil, &unregistered{}); !errors.Is(err, ErrUnregistered) {
		t.Errorf("Marshal(unregistered) = %v, want ErrUnregistered", err)
	}
	if _, err := Marshal(nil, Ping{}); !errors.Is(err, ErrUnregistered) {
		t.Errorf("Marshal(non-pointer) = %v, want ErrUnregistered", err)
	}
	if _, err := Marshal(nil, (*Ping)(nil)); err == nil {
		t.Error("Marshal(nil pointer) succeeded")
	}
}

func TestUnmarshalRejectsBadInput(t *testing.T) {
	good, err := Marshal(nil, newBatch(2))
	if err != nil {
		t.Fatal(err)
	}
	unknown := binary.BigEndian.AppendUint16(nil, unusedTag(t))
	cases := []struct {
		name string
		body []byte
		want error
	}{
		{"empty", nil, ErrCorrupt},
		{"half a tag", good[:1], ErrCorrupt},
		{"unknown tag", append(unknown, good[2:]...), ErrUnknownTag},
		{"tag only", good[:2], ErrCorrupt},
		{"truncated", good[:len(good)-3], ErrCorrupt},
		{"trailing bytes", append(append([]byte{}, good...), 0xc0), ErrCorrupt},
		{"garbage", append(append([]byte{}, good[:2]...), 0xc1, 0xff, 0x00), ErrCorrupt},
		{"wrong shape", append(append([]byte{}, good[:2]...), 0x92, 0x01, 0x02), ErrCorrupt},
		{"huge array length", append(append([]byte{}, good[:2]...), 0x81, 0xa8, 'C', 'o', 'm', 'm', 'a', 'n', 'd', 's', 0xdd, 0xff, 0xff, 0xff, 0xff), ErrCorrupt},
	}
	// An unknown field holding arrays nested 100000 deep: msgpack would
	// recurse once per level to skip it.
	deep := append(append([]byte{}, good[:2]...), 0x81, 0xa1, 'X')
	deep = append(deep, bytes.Repeat([]byte{0x91}, 100000)...)
	cases = append(cases, struct {
		name string
		body []byte
		want error
	}{"deep nesting", append(deep, 0xc0), ErrCorrupt})
	for _, c := range cases {
		m, err := Unmarshal(c.body)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: Unmarshal = %#v, %v; want %v", c.name, m, err, c.want)
		}
	}
}

func TestCommandCodecToleratesOtherArrayLengths(t *testing.T) {
	mt, _ := paxi.MessageOf(&Small{})
	body := binary.BigEndian.AppendUint16(nil, mt.Tag)
	// {"Command": [2, "k"]} and {"Command": [2, "k", "v", 1, 2, true]}.
	short := append(append([]byte{}, body...), 0x81, 0xa7, 'C', 'o', 'm', 'm', 'a', 'n', 'd', 0x92, 0x02, 0xa1, 'k')
	long := append(append([]byte{}, body...), 0x81, 0xa7, 'C', 'o', 'm', 'm', 'a', 'n', 'd', 0x96, 0x02, 0xa1, 'k', 0xa1, 'v', 0x01, 0x02, 0xc3)
	for name, b := range map[string][]byte{"short": short, "long": long} {
		m, err := Unmarshal(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		c := m.(*Small).Command
		if c.Op != paxi.Put || c.Key != "k" {
			t.Errorf("%s: decoded %+v", name, c)
		}
	}
}

func TestReplyCodecToleratesOtherArrayLengths(t *testing.T) {
	mt, _ := paxi.MessageOf(&Answers{})
	body := binary.BigEndian.AppendUint16(nil, mt.Tag)
	// {"One": [7, 9]} and {"One": [7, 9, "v", "", "1.2", true]}.
	short := append(append([]byte{}, body...), 0x81, 0xa3, 'O', 'n', 'e', 0x92, 0x07, 0x09)
	long := append(append([]byte{}, body...), 0x81, 0xa3, 'O', 'n', 'e', 0x96, 0x07, 0x09, 0xa1, 'v', 0xa0, 0xa3, '1', '.', '2', 0xc3)
	want := map[string]paxi.Reply{"short": {ClientID: 7, CommandID: 9}, "long": {ClientID: 7, CommandID: 9, Value: "v", Leader: "1.2"}}
	for name, b := range map[string][]byte{"short": short, "long": long} {
		m, err := Unmarshal(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r := m.(*Answers).One; r != want[name] {
			t.Errorf("%s: decoded %+v, want %+v", name, r, want[name])
		}
	}
}

// unusedTag returns a wire tag no registered type has.
func unusedTag(t *testing.T) uint16 {
	for tag := uint16(1); tag != 0; tag++ {
		if _, ok := paxi.MessageByTag(tag); !ok {
			return tag
		}
	}
	t.Fatal("every tag is registered")
	return 0
}

func TestUnmarshalIntoReusesTheArrayAndChecksTheType(t *testing.T) {
	want := newBatch(3)
	b, err := Marshal(nil, want)
	if err != nil {
		t.Fatal(err)
	}
	into := &Batch{Commands: make([]paxi.Command, 1, 8)}
	array := &into.Commands[:1][0]
	into.Commands = into.Commands[:0]
	if err := UnmarshalInto(b, into); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(into, want) {
		t.Errorf("decoded %#v, want %#v", into, want)
	}
	if &into.Commands[0] != array {
		t.Error("the commands were decoded into a new array although the old one had room")
	}
	small, _ := Marshal(nil, &Small{})
	if err := UnmarshalInto(small, into); !errors.Is(err, ErrWrongType) {
		t.Errorf("UnmarshalInto(Small body, *Batch) = %v, want ErrWrongType", err)
	}
	if err := UnmarshalInto(b[:len(b)-1], into); !errors.Is(err, ErrCorrupt) {
		t.Errorf("UnmarshalInto(truncated) = %v, want ErrCorrupt", err)
	}
	if err := UnmarshalInto(b, (*Batch)(nil)); err == nil {
		t.Error("UnmarshalInto(nil message) succeeded")
	}
}

// TestCommandShapesRoundTrip covers the boundaries of readCommonCommand's
// fast path (empty, 31- and 32-byte keys and values, ops and ids of every
// integer width) and the general path beyond them: each command reads back
// equal, and every truncation of its encoding is an error, not a panic.
func TestCommandShapesRoundTrip(t *testing.T) {
	strs := []string{"", "k", strings.Repeat("a", 31), strings.Repeat("b", 32), strings.Repeat("c", 300)}
	ids := []uint64{0, 1, 127, 128, 255, 1 << 16, 1 << 32, math.MaxUint64}
	ops := []paxi.Op{paxi.Noop, paxi.Get, paxi.Put, paxi.Delete, 127, 200}
	for _, op := range ops {
		for _, k := range strs {
			for _, v := range strs {
				for _, id := range ids {
					c := paxi.Command{Op: op, Key: k, Value: v, ClientID: id, CommandID: ^id}
					b := appendCommand(nil, &c)
					var got paxi.Command
					i := 0
					if err := readCommand(b, &i, &got); err != nil || got != c || i != len(b) {
						t.Fatalf("%+v: read %+v, consumed %d of %d, err %v", c, got, i, len(b), err)
					}
					for cut := 0; cut < len(b); cut++ {
						i := 0
						if err := readCommand(b[:cut], &i, &got); err == nil {
							t.Fatalf("%+v cut to %d of %d bytes: no error", c, cut, len(b))
						}
					}
				}
			}
		}
	}
}
