package paxi

import "hash/crc32"

// Catch-up from a snapshot (docs/SNAPSHOTS.md): a replica that forgot
// what a peer still lacks sends that peer its newest snapshot, the same
// payload a restart loads, in chunks over the peer transport, and the
// peer installs it and catches up on the rest as usual. SnapshotTransfers
// is the chunker and the assembler, shared by both hosts (the node
// runtime and the simulator) so that the simulator runs the code real
// processes run. Like a protocol it is deterministic and driven by ticks:
// it reads no clock and sends nothing itself.

// SnapshotChunk is one part of a snapshot transfer: bytes [Offset,
// Offset+len(Data)) of a payload of Total bytes whose CRC32C is Sum. Xfer
// names the transfer, new for every transfer a sender starts, so that a
// chunk of an abandoned one is never taken for a part of the next.
type SnapshotChunk struct {
	Xfer   uint64
	Offset uint64
	Total  uint64
	Sum    uint32
	Data   []byte
}

// SnapshotAck answers the chunk of transfer Xfer at Offset: the receiver
// wants the bytes from Next on (0 after it lost the transfer, having
// restarted or dropped it as stalled: the sender starts again), or, with
// Status, has the whole payload (AckDone) or refuses the transfer
// (AckRefused: a bad chunk or checksum, or another peer's transfer under
// way).
type SnapshotAck struct {
	Xfer   uint64
	Offset uint64
	Next   uint64
	Status uint8
}

// The Status of a SnapshotAck.
const (
	AckMore    = 0
	AckDone    = 1
	AckRefused = 2
)

func init() {
	RegisterMessage("paxi.SnapshotChunk", &SnapshotChunk{})
	RegisterMessage("paxi.SnapshotAck", &SnapshotAck{})
}

// IsSnapshotTransfer reports whether m belongs to a snapshot transfer,
// which the host handles itself and never hands to the protocol.
func IsSnapshotTransfer(m Message) bool {
	switch m.(type) {
	case *SnapshotChunk, *SnapshotAck:
		return true
	}
	return false
}

// Defaults of SnapshotTransfers, in ticks (5 ms each by default) and bytes.
const (
	// DefaultSnapshotChunk is the data one chunk carries: far below
	// MessageBudget, so that a chunk never holds a peer link for long.
	DefaultSnapshotChunk = 1 << 20
	// DefaultSnapshotRetry is how long a chunk waits for its ack before it
	// is sent again.
	DefaultSnapshotRetry = 40
	// snapshotTries is how often one chunk is sent without an answer
	// before the transfer is given up; the next request starts another.
	snapshotTries = 8
	// DefaultSnapshotStall is how long a receiver keeps a transfer that
	// stopped moving (its sender died, say) before another peer's may
	// replace it.
	DefaultSnapshotStall = 400
	// DefaultSnapshotCooldown is how long a sender waits after a transfer
	// to a peer ended before it starts another to it: requests the peer
	// sent before it installed the snapshot are still arriving.
	DefaultSnapshotCooldown = 200
	// MaxSnapshotBytes bounds the payload a receiver accepts.
	MaxSnapshotBytes = 1 << 34
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// SnapshotSum is the checksum a transfer carries: CRC32C of the payload.
func SnapshotSum(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// SnapshotTransfers is one replica's snapshot transfers: at most one
// outgoing per peer, each one chunk in flight at a time (stop and wait),
// and at most one incoming.
type SnapshotTransfers struct {
	self ID
	// Chunk, Retry, Stall and Cooldown are the settings (the Default
	// constants unless the host changes them before the first use).
	Chunk                  int
	Retry, Stall, Cooldown int64
	now                    int64
	nextID                 uint64
	out                    []*outgoing // by start, for a fixed order
	ended                  map[ID]int64
	in                     *incoming
	done                   map[ID]uint64 // per peer, its last transfer received whole
	msgs                   []Envelope
	Stats                  TransferStats
}

// TransferStats counts what the transfers did.
type TransferStats struct {
	Sent, Received           uint64 // transfers completed
	BytesSent, BytesReceived uint64 // chunk data sent and taken
	Refused, Abandoned       uint64 // transfers refused by a receiver, given up by this sender
	BadChunks                uint64 // chunks this receiver refused or ignored
}

type outgoing struct {
	to      ID
	xfer    uint64
	payload []byte
	sum     uint32
	off     uint64 // the chunk in flight starts here
	sentAt  int64
	tries   int
}

type incoming struct {
	from   ID
	xfer   uint64
	total  uint64
	sum    uint32
	buf    []byte
	lastAt int64
}

// Received is a payload that arrived whole with its checksum right.
type Received struct {
	From    ID
	Xfer    uint64
	Payload []byte
}

// NewSnapshotTransfers returns the transfers of replica self; firstID
// numbers its first transfer (a host makes it differ across restarts).
func NewSnapshotTransfers(self ID, firstID uint64) *SnapshotTransfers {
	return &SnapshotTransfers{self: self, nextID: firstID, Chunk: DefaultSnapshotChunk, Retry: DefaultSnapshotRetry,
		Stall: DefaultSnapshotStall, Cooldown: DefaultSnapshotCooldown, ended: map[ID]int64{}, done: map[ID]uint64{}}
}

// Send starts a transfer of payload to peer to, unless one to it is under
// way or ended less than Cooldown ago, and returns its id (0: none
// started). payload must not be modified afterwards: chunks share its
// bytes.
func (t *SnapshotTransfers) Send(to ID, payload []byte) uint64 {
	if len(payload) == 0 || uint64(len(payload)) > MaxSnapshotBytes || !t.CanSend(to) {
		return 0
	}
	t.nextID++
	if t.nextID == 0 {
		t.nextID++
	}
	o := &outgoing{to: to, xfer: t.nextID, payload: payload, sum: SnapshotSum(payload)}
	t.out = append(t.out, o)
	t.sendChunk(o)
	return o.xfer
}

// CanSend reports whether Send would start a transfer to peer to now: none
// to it is under way or ended less than Cooldown ago. A host that takes a
// fresh snapshot for a peer asks first, so as not to take one for nothing.
func (t *SnapshotTransfers) CanSend(to ID) bool {
	if to == t.self || t.Sending(to) {
		return false
	}
	at, ok := t.ended[to]
	return !ok || t.now-at >= t.Cooldown
}

// Sending reports whether a transfer to peer to is under way.
func (t *SnapshotTransfers) Sending(to ID) bool {
	for _, o := range t.out {
		if o.to == to {
			return true
		}
	}
	return false
}

func (t *SnapshotTransfers) chunkSize() int {
	return max(1, min(t.Chunk, MessageBudget))
}

func (t *SnapshotTransfers) sendChunk(o *outgoing) {
	end := min(o.off+uint64(t.chunkSize()), uint64(len(o.payload)))
	data := o.payload[o.off:end:end]
	t.msgs = append(t.msgs, Envelope{From: t.self, To: o.to, Msg: &SnapshotChunk{
		Xfer: o.xfer, Offset: o.off, Total: uint64(len(o.payload)), Sum: o.sum, Data: data}})
	t.Stats.BytesSent += uint64(len(data))
	o.sentAt = t.now
}

func (t *SnapshotTransfers) end(o *outgoing) {
	for i, x := range t.out {
		if x == o {
			t.out = append(t.out[:i], t.out[i+1:]...)
			break
		}
	}
	t.ended[o.to] = t.now
}

// Step takes a transfer message from peer from and returns the payload if
// it completed one.
func (t *SnapshotTransfers) Step(from ID, m Message) *Received {
	switch m := m.(type) {
	case *SnapshotAck:
		t.onAck(from, m)
	case *SnapshotChunk:
		return t.onChunk(from, m)
	}
	return nil
}

func (t *SnapshotTransfers) onAck(from ID, a *SnapshotAck) {
	var o *outgoing
	for _, x := range t.out {
		if x.to == from && x.xfer == a.Xfer {
			o = x
		}
	}
	if o == nil || a.Offset != o.off {
		return // a duplicate, or the answer to a chunk sent before
	}
	switch {
	case a.Status == AckDone:
		t.Stats.Sent++
		t.end(o)
	case a.Status == AckRefused:
		t.Stats.Refused++
		t.end(o)
	case a.Next < uint64(len(o.payload)) && (a.Next == 0 || a.Next > o.off):
		o.off, o.tries = a.Next, 0
		t.sendChunk(o)
	}
}

func (t *SnapshotTransfers) ack(to ID, c *SnapshotChunk, next uint64, status uint8) {
	t.msgs = append(t.msgs, Envelope{From: t.self, To: to, Msg: &SnapshotAck{Xfer: c.Xfer, Offset: c.Offset, Next: next, Status: status}})
}

func (t *SnapshotTransfers) onChunk(from ID, c *SnapshotChunk) *Received {
	n := uint64(len(c.Data))
	if c.Total == 0 || c.Total > MaxSnapshotBytes || n == 0 || n > uint64(MessageBudget) || c.Offset > c.Total || n > c.Total-c.Offset {
		t.Stats.BadChunks++
		t.ack(from, c, 0, AckRefused)
		return nil
	}
	if t.done[from] == c.Xfer {
		// A chunk of a transfer received whole, sent again because the
		// last ack was lost: the sender is told again.
		t.ack(from, c, c.Total, AckDone)
		return nil
	}
	in := t.in
	if in == nil || in.from != from || in.xfer != c.Xfer || in.total != c.Total || in.sum != c.Sum {
		if in != nil && in.from != from && t.now-in.lastAt < t.Stall {
			t.Stats.BadChunks++
			t.ack(from, c, 0, AckRefused) // another peer's transfer is under way
			return nil
		}
		if c.Offset != 0 {
			// A part of a transfer this replica does not hold (it
			// restarted, or dropped it as stalled): from the start.
			t.Stats.BadChunks++
			t.ack(from, c, 0, AckMore)
			return nil
		}
		in = &incoming{from: from, xfer: c.Xfer, total: c.Total, sum: c.Sum}
		t.in = in
	}
	if c.Offset != uint64(len(in.buf)) {
		t.Stats.BadChunks++
		t.ack(from, c, uint64(len(in.buf)), AckMore) // out of order: the sender goes back
		return nil
	}
	// The chunk's bytes belong to the sender's payload (the in-process
	// transport hands over the very slice): they are copied.
	in.buf = append(in.buf, c.Data...)
	in.lastAt = t.now
	t.Stats.BytesReceived += n
	if uint64(len(in.buf)) < in.total {
		t.ack(from, c, uint64(len(in.buf)), AckMore)
		return nil
	}
	t.in = nil
	if SnapshotSum(in.buf) != in.sum {
		t.Stats.BadChunks++
		t.ack(from, c, 0, AckRefused)
		return nil
	}
	t.Stats.Received++
	t.done[from] = in.xfer
	t.ack(from, c, in.total, AckDone)
	return &Received{From: from, Xfer: in.xfer, Payload: in.buf}
}

// Tick advances time by one tick: a chunk unanswered for Retry is sent
// again, and after snapshotTries the transfer is given up; an incoming
// transfer that has not moved for Stall is dropped.
func (t *SnapshotTransfers) Tick() {
	t.now++
	for i := 0; i < len(t.out); i++ {
		o := t.out[i]
		if t.now-o.sentAt < t.Retry {
			continue
		}
		if o.tries++; o.tries >= snapshotTries {
			t.Stats.Abandoned++
			t.end(o)
			i--
			continue
		}
		t.sendChunk(o)
	}
	if t.in != nil && t.now-t.in.lastAt >= t.Stall {
		t.in = nil
	}
}

// Take hands over the messages produced since the last call.
func (t *SnapshotTransfers) Take() []Envelope {
	m := t.msgs
	t.msgs = nil
	return m
}
