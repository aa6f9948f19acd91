package paxi

// Every message a protocol builds must fit the transport's frame limit: the
// TCP transport refuses to send a larger one, and a protocol that builds it
// again on every retry never gets past it (64 concurrent 1 MiB writes once
// made EPaxos build a 22 MB PreAccept and stall for good). So whatever
// carries user data is cut in bytes as well as in counts, against one
// budget: batches of commands (CutBatch, Budget) and replies that carry
// many instances or slots (Budget with EntryBytes).
//
// The sizes are upper bounds of the wire encoding, not exact: they count
// what an item could take at most, so a message cut by them is at most
// MessageBudget bytes, and MessageBudget leaves DefaultMaxFrame/4 for what
// they do not count (the envelope, the message's own fixed fields).
// Config.Validate refuses a max_frame below DefaultMaxFrame, so the budget
// fits every transport a configuration can ask for.

// MessageBudget is the most bytes of commands and entries one message may
// carry: 12 MiB with the 16 MiB frame.
const MessageBudget = DefaultMaxFrame - DefaultMaxFrame/4

// CommandOverhead bounds what a command's encoding takes beyond its key and
// value: the array header, the op, two string headers and two uint64s
// (transport's command codec writes at most 1+2+5+5+9+9 bytes of them).
const CommandOverhead = 48

// EntryOverhead bounds the fixed fields of one entry of a reply (an
// instance or a slot: its field names, numbers, ballot and flags) besides
// its commands and integer lists, which EntryBytes counts apart.
const EntryOverhead = 256

// CommandBytes bounds the encoded size of c.
func CommandBytes(c Command) int { return len(c.Key) + len(c.Value) + CommandOverhead }

// ReplyBytes bounds the encoded size of r, for a front-end that groups
// replies in frames (the transport's reply codec writes the same fixed
// fields as for a command, in other order, and three strings).
func ReplyBytes(r Reply) int { return len(r.Value) + len(r.Err) + len(r.Leader) + CommandOverhead }

// CommandsBytes bounds the encoded size of cmds.
func CommandsBytes(cmds []Command) int {
	n := 0
	for i := range cmds {
		n += CommandBytes(cmds[i])
	}
	return n
}

// EntryBytes bounds the encoded size of one entry of a reply that carries
// cmds and ints integers (dependencies, say) besides its fixed fields.
func EntryBytes(cmds []Command, ints int) int {
	return EntryOverhead + 9*ints + CommandsBytes(cmds)
}

// Budget counts the items of a message being built, against a cap on
// their number and on MessageBudget bytes. The first item always fits, so
// that whatever is queued moves: no single item can be larger than the
// budget, since the client entry points refuse values that would make one
// (see the test that ties MaxValueLen to MessageBudget in paxi/node).
type Budget struct {
	max   int // the most items; 0: no cap on the count
	items int
	bytes int
}

// NewBudget starts an empty message of at most maxItems items (0: any
// number) and MessageBudget bytes.
func NewBudget(maxItems int) Budget { return Budget{max: maxItems} }

// Take reports whether an item of size bytes still fits, and counts it if
// it does. An empty budget takes any item.
func (b *Budget) Take(size int) bool {
	if b.items > 0 && (b.max > 0 && b.items >= b.max || b.bytes+size > MessageBudget) {
		return false
	}
	b.items++
	b.bytes += size
	return true
}

// Items is the number of items taken.
func (b *Budget) Items() int { return b.items }

// Reset empties the budget for the next message.
func (b *Budget) Reset() { b.items, b.bytes = 0, 0 }

// CutBatch returns how many commands from the front of queue make the next
// batch: at most maxCount (0: any number), at most MessageBudget bytes, and
// at least one if queue is not empty.
func CutBatch(queue []Command, maxCount int) int {
	b := NewBudget(maxCount)
	for i := range queue {
		if !b.Take(CommandBytes(queue[i])) {
			return i
		}
	}
	return len(queue)
}
