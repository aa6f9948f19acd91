package transport

import (
	"fmt"
	"reflect"

	"github.com/agora-consensus/agora/paxi"
)

// paxi.Reply is the other value a replica sends by the hundred: one per
// command, back to its client. msgpack's reflective codec writes each as a
// map with five field names (about 40 of its 50 bytes) and goes through
// reflection per field; like Command, it is written as the array
// [ClientID, CommandID, Value, Err, Leader] instead (BenchmarkRepliesCodec
// in paxi/client).

var replyFields = []fieldSpec{
	{"ClientID", reflect.Uint64},
	{"CommandID", reflect.Uint64},
	{"Value", reflect.String},
	{"Err", reflect.String},
	{"Leader", reflect.String},
}

func init() {
	mustMatch(reflect.TypeOf(paxi.Reply{}), replyFields, "reply_codec.go")
	registerArrayCodec(appendReply, readReply)
}

// appendReply writes r as the array [ClientID, CommandID, Value, Err, Leader].
func appendReply(b []byte, r *paxi.Reply) []byte {
	b = append(b, 0x90|byte(len(replyFields)))
	b = appendUint(b, r.ClientID)
	b = appendUint(b, r.CommandID)
	b = appendString(b, r.Value)
	b = appendString(b, r.Err)
	return appendString(b, string(r.Leader))
}

// readReply reads what appendReply writes, tolerating shorter and longer
// arrays as readCommand does.
func readReply(b []byte, i *int, r *paxi.Reply) error {
	n, err := readArrayLen(b, i)
	if err != nil {
		return err
	}
	*r = paxi.Reply{}
	for k := 0; k < n; k++ {
		switch k {
		case 0:
			r.ClientID, err = readUint(b, i)
		case 1:
			r.CommandID, err = readUint(b, i)
		case 2:
			r.Value, err = readString(b, i)
		case 3:
			r.Err, err = readString(b, i)
		case 4:
			var s string
			s, err = readString(b, i)
			r.Leader = paxi.ID(s)
		default:
			err = skipValue(b, i)
		}
		if err != nil {
			return fmt.Errorf("reply field %d: %w", k, err)
		}
	}
	return nil
}
