package transport

import (
	"fmt"

	"github.com/agora-consensus/agora/paxi"
)

// Ping is a small message, the size of a typical protocol acknowledgement.
type Ping struct {
	Seq    uint64
	Ballot int64
	Slot   int64
	Sender paxi.ID
}

// Batch is a large message: an accept carrying a batch of client commands.
type Batch struct {
	Ballot   int64
	Slot     int64
	Commands []paxi.Command
	Deps     map[paxi.ID]int64
	Note     []byte
}

// Small is a realistic small protocol message: one command in an accept.
type Small struct {
	Ballot  int64
	Slot    int64
	Command paxi.Command
}

// Answers carries replies, as a replica's client port does.
type Answers struct {
	Replies []paxi.Reply
	One     paxi.Reply
}

// Ack is the benchmark receiver's flow-control reply: how many messages it
// has received so far.
type Ack struct {
	Count uint64
}

func init() {
	paxi.RegisterMessage("transporttest.Ack", &Ack{})
	paxi.RegisterMessage("transporttest.Ping", &Ping{})
	paxi.RegisterMessage("transporttest.Batch", &Batch{})
	paxi.RegisterMessage("transporttest.Small", &Small{})
	paxi.RegisterMessage("transporttest.Answers", &Answers{})
}

// newBatch returns a Batch of n put commands with 16-byte keys and values.
func newBatch(n int) *Batch {
	b := &Batch{Ballot: 7, Slot: 123456, Commands: make([]paxi.Command, n), Deps: map[paxi.ID]int64{"1.1": 3, "1.2": 99}}
	for i := range b.Commands {
		b.Commands[i] = paxi.Command{
			Op:        paxi.Put,
			Key:       fmt.Sprintf("key-%012d", i),
			Value:     fmt.Sprintf("val-%012d", i),
			ClientID:  uint64(i % 64),
			CommandID: uint64(1000000 + i),
		}
	}
	return b
}
