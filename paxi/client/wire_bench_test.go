package client

import (
	"strconv"
	"testing"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/transport"
)

// BenchmarkRepliesCodec frames and decodes a burst of 128 answers to
// writes, as a replica sends back to a pipelined client.
func BenchmarkRepliesCodec(b *testing.B) {
	m := &Replies{Replies: make([]paxi.Reply, 128)}
	for i := range m.Replies {
		m.Replies[i] = paxi.Reply{ClientID: 1<<61 + 12345, CommandID: uint64(100000 + i)}
	}
	benchFrameCodec(b, m)
}

// BenchmarkBatchCodec frames and decodes a batch of 128 writes.
func BenchmarkBatchCodec(b *testing.B) {
	benchFrameCodec(b, benchBatch(128))
}

// BenchmarkBatchDecode decodes a batch of 128 writes into a new message
// (fresh) and into the array of the previous one (into), as the replica's
// client port does.
func BenchmarkBatchDecode(b *testing.B) {
	body, err := transport.Marshal(nil, benchBatch(128))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("fresh", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := transport.Unmarshal(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("into", func(b *testing.B) {
		var into Batch
		b.ReportAllocs()
		for b.Loop() {
			into.Commands = into.Commands[:0]
			if err := transport.UnmarshalInto(body, &into); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func benchBatch(n int) *Batch {
	m := &Batch{Commands: make([]paxi.Command, n)}
	for i := range m.Commands {
		m.Commands[i] = paxi.Command{Op: paxi.Put, Key: "c1", Value: "v-1-" + strconv.Itoa(i) + "xxxxxxxxxx", ClientID: 1<<61 + 12345, CommandID: uint64(100000 + i)}
	}
	return m
}

// benchFrameCodec frames m and decodes it again, once per iteration, as
// the two ends of a client connection do.
func benchFrameCodec(b *testing.B, m paxi.Message) {
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		var err error
		buf, err = transport.AppendFrame(buf[:0], m, maxFrame)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := transport.Unmarshal(buf[4:]); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}
