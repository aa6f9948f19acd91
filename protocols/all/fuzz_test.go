package all

import (
	"encoding/binary"
	"reflect"
	"testing"

	"github.com/agora-consensus/agora/paxi"
	_ "github.com/agora-consensus/agora/paxi/client" // the client's wire messages
	"github.com/agora-consensus/agora/paxi/transport"
)

// FuzzEveryRegisteredMessage feeds arbitrary bodies to the decoder under the
// tag of every message type any protocol or the client registers: linking
// them all here is what makes "every registered message" true. A body must
// either be refused with an error or decode to a message that re-encodes
// to the same message; it must never panic.
func FuzzEveryRegisteredMessage(f *testing.F) {
	types := paxi.MessageTypes()
	if len(types) == 0 {
		f.Fatal("no message types registered")
	}
	for i, mt := range types {
		body, err := transport.Marshal(nil, reflect.New(mt.Type.Elem()).Interface().(paxi.Message))
		if err != nil {
			f.Fatalf("%s: zero value does not encode: %v", mt.Name, err)
		}
		f.Add(uint(i), body[2:])
	}
	f.Fuzz(func(t *testing.T, i uint, body []byte) {
		mt := types[i%uint(len(types))]
		data := append(binary.BigEndian.AppendUint16(nil, mt.Tag), body...)
		m, err := transport.Unmarshal(data)
		if err != nil {
			return
		}
		again, err := transport.Marshal(nil, m)
		if err != nil {
			t.Fatalf("%s: decoded %#v but cannot encode it: %v", mt.Name, m, err)
		}
		m2, err := transport.Unmarshal(again)
		if err != nil {
			t.Fatalf("%s: re-encoding of %#v does not decode: %v", mt.Name, m, err)
		}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("%s: re-encoding changed the message:\n%#v\n%#v", mt.Name, m, m2)
		}
	})
}

// TestEveryProtocolRegistersMessages guards the fuzz target above against
// silently covering nothing when a protocol stops being linked here.
func TestEveryProtocolRegistersMessages(t *testing.T) {
	seen := map[string]bool{}
	for _, mt := range paxi.MessageTypes() {
		for i := range mt.Name {
			if mt.Name[i] == '.' {
				seen[mt.Name[:i]] = true
				break
			}
		}
	}
	for _, want := range []string{"epaxos", "client"} {
		if !seen[want] {
			t.Errorf("no %s messages registered; got packages %v", want, seen)
		}
	}
}
