package paxi

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// A snapshot's payload, as the node runtime writes it (paxi/node,
// encodeSnapshot) and a snapshot transfer carries it: the state machine's
// snapshot (KV.Snapshot), then the protocol's checkpoint records in the
// log's encoding, each with a uvarint length. The codec is the caller's
// (transport.Marshal and Unmarshal), which this package cannot import.

// EncodeSnapshotPayload builds a payload from a KV snapshot and records.
func EncodeSnapshotPayload(kv []byte, recs []Message, marshal func([]byte, Message) ([]byte, error)) ([]byte, error) {
	b := binary.AppendUvarint(nil, uint64(len(kv)))
	b = append(b, kv...)
	b = binary.AppendUvarint(b, uint64(len(recs)))
	for _, m := range recs {
		enc, err := marshal(nil, m)
		if err != nil {
			return nil, fmt.Errorf("encode checkpoint record %s: %w", MessageName(m), err)
		}
		b = binary.AppendUvarint(b, uint64(len(enc)))
		b = append(b, enc...)
	}
	return b, nil
}

var errShortPayload = errors.New("snapshot payload ends early")

// DecodeSnapshotPayload splits a payload into its KV snapshot and records.
func DecodeSnapshotPayload(b []byte, unmarshal func([]byte) (Message, error)) (kv []byte, recs []Message, err error) {
	next := func() ([]byte, error) {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return nil, errShortPayload
		}
		out := b[k : k+int(n)]
		b = b[k+int(n):]
		return out, nil
	}
	if kv, err = next(); err != nil {
		return nil, nil, err
	}
	count, k := binary.Uvarint(b)
	if k <= 0 || count > uint64(len(b)) {
		return nil, nil, errShortPayload
	}
	b = b[k:]
	recs = make([]Message, 0, count)
	for i := uint64(0); i < count; i++ {
		enc, err := next()
		if err != nil {
			return nil, nil, err
		}
		m, err := unmarshal(enc)
		if err != nil {
			return nil, nil, fmt.Errorf("checkpoint record %d: %w", i, err)
		}
		recs = append(recs, m)
	}
	if len(b) != 0 {
		return nil, nil, fmt.Errorf("%d bytes after the last checkpoint record", len(b))
	}
	return kv, recs, nil
}
