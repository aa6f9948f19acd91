package transport

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/agora-consensus/agora/paxi"
)

// seedMessages returns the zero value of every registered message type and
// a few filled-in test messages.
func seedMessages() []paxi.Message {
	var out []paxi.Message
	for _, mt := range paxi.MessageTypes() {
		out = append(out, reflect.New(mt.Type.Elem()).Interface())
	}
	return append(out, &Ping{Seq: 1 << 40, Ballot: -1, Sender: "1.2"}, newBatch(3), &Small{Command: paxi.Command{Op: paxi.Put, Key: "k", Value: "v"}},
		&Answers{Replies: []paxi.Reply{{ClientID: 1, CommandID: 2, Err: "e", Leader: "1.3"}}})
}

// FuzzDecodeFrame feeds an arbitrary byte stream to a connection's frame
// reader and decodes every frame it yields, as readLoop does. It must never
// panic, whatever the stream.
func FuzzDecodeFrame(f *testing.F) {
	var stream []byte
	for _, m := range seedMessages() {
		one, err := appendFrame(nil, m, DefaultMaxFrame)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(one)
		stream = append(stream, one...)
	}
	f.Add(stream)
	f.Add(stream[:len(stream)-1])
	f.Add(appendHandshake(nil, "1.1"))
	f.Add(binary.BigEndian.AppendUint32(nil, 1<<31))
	f.Fuzz(func(t *testing.T, data []byte) {
		fr := newFrameReader(bytes.NewReader(data), 1<<16)
		for {
			body, err := fr.next()
			if err != nil {
				return
			}
			if len(body) > 1<<16 {
				t.Fatalf("frame reader returned a %d-byte body over its limit", len(body))
			}
			unmarshal(body)
		}
	})
}

// FuzzUnmarshal decodes arbitrary bodies, the tag included. It must never
// panic, and whatever decodes must encode again to something that decodes
// to the same message.
func FuzzUnmarshal(f *testing.F) {
	for _, m := range seedMessages() {
		body, err := Marshal(nil, m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(body)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkReencodes(t, data)
	})
}

// FuzzUnmarshalEachType is FuzzUnmarshal with the tag chosen from the
// registered types, so the fuzzer spends its time on bodies rather than on
// finding valid tags.
func FuzzUnmarshalEachType(f *testing.F) {
	types := paxi.MessageTypes()
	for _, m := range seedMessages() {
		body, err := Marshal(nil, m)
		if err != nil {
			f.Fatal(err)
		}
		mt, _ := paxi.MessageOf(m)
		for i := range types {
			if types[i].Tag == mt.Tag {
				f.Add(uint(i), body[tagSize:])
			}
		}
	}
	f.Fuzz(func(t *testing.T, i uint, body []byte) {
		data := binary.BigEndian.AppendUint16(nil, types[i%uint(len(types))].Tag)
		checkReencodes(t, append(data, body...))
	})
}

func checkReencodes(t *testing.T, data []byte) {
	m, err := unmarshal(data)
	if err != nil {
		return
	}
	again, err := Marshal(nil, m)
	if err != nil {
		t.Fatalf("decoded %#v but cannot encode it: %v", m, err)
	}
	m2, err := unmarshal(again)
	if err != nil {
		t.Fatalf("re-encoding of %#v does not decode: %v", m, err)
	}
	if !reflect.DeepEqual(m, m2) {
		t.Fatalf("re-encoding changed the message:\n%#v\n%#v", m, m2)
	}
}

// FuzzValueEndAgreesWithMsgpack checks the pre-decode scan against msgpack's
// own Skip: on any input both must accept the same first value and end it
// at the same byte (deeper nesting than maxNesting aside, which only the
// scan rejects).
func FuzzValueEndAgreesWithMsgpack(f *testing.F) {
	for _, m := range seedMessages() {
		body, err := Marshal(nil, m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(body[tagSize:])
	}
	f.Add([]byte{0xc7, 0x01, 0x05, 0xff, 0x93, 0xd4, 0x01, 0x02, 0xc0})
	f.Fuzz(func(t *testing.T, data []byte) {
		end, err := valueEnd(data)
		r := bytes.NewReader(data)
		dec := msgpack.NewDecoder(r)
		skipErr := dec.Skip()
		skipEnd := len(data) - r.Len()
		if err != nil {
			if skipErr == nil && !strings.Contains(err.Error(), "nested deeper") {
				t.Fatalf("scan rejects what msgpack skips (%d bytes): %v", skipEnd, err)
			}
			return
		}
		if skipErr != nil {
			t.Fatalf("scan accepts %d bytes that msgpack cannot skip: %v", end, skipErr)
		}
		if end != skipEnd {
			t.Fatalf("scan ends the value at %d, msgpack at %d", end, skipEnd)
		}
	})
}
