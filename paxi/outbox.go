package paxi

// Outbox collects what a protocol produces until the host takes it with
// Ready. Protocols embed it so their code reads naturally
// (r.Broadcast(&PreAccept{...})) while staying deterministic.
type Outbox struct {
	self  ID
	peers []ID
	ready Ready // what is queued for the next Ready
	// spare holds the slices handed over by the previous Ready, which the
	// host has finished with by the next call: they are emptied and filled
	// again instead of every Ready regrowing its slices from nothing.
	spare Ready
}

// NewOutbox returns an outbox for replica self in a cluster of peers (self included).
func NewOutbox(self ID, peers []ID) Outbox {
	return Outbox{self: self, peers: peers}
}

// Self is the id of the replica this outbox belongs to.
func (o *Outbox) Self() ID { return o.self }

// Send queues a message to one peer. Sending to oneself is a bug in the
// protocol (handle it directly), and panics.
func (o *Outbox) Send(to ID, m Message) {
	if to == o.self {
		panic("paxi: " + string(o.self) + " sends " + MessageName(m) + " to itself")
	}
	o.ready.Messages = append(o.ready.Messages, Envelope{From: o.self, To: to, Msg: m})
}

// Broadcast queues a message to every peer except this replica.
func (o *Outbox) Broadcast(m Message) {
	for _, p := range o.peers {
		if p != o.self {
			o.ready.Messages = append(o.ready.Messages, Envelope{From: o.self, To: p, Msg: m})
		}
	}
}

// Multicast queues a message to each listed peer, skipping this replica.
func (o *Outbox) Multicast(to []ID, m Message) {
	for _, p := range to {
		if p != o.self {
			o.ready.Messages = append(o.ready.Messages, Envelope{From: o.self, To: p, Msg: m})
		}
	}
}

// Persist queues a record to be made durable before the messages of this
// Ready are sent. The record must not be modified afterwards.
func (o *Outbox) Persist(m Message) { o.ready.Persist = append(o.ready.Persist, m) }

// Execute queues a command to be applied to the state machine.
func (o *Outbox) Execute(c Command) { o.ready.Execute = append(o.ready.Execute, c) }

// Reply queues an answer to a client that does not come from execution.
func (o *Outbox) Reply(r Reply) { o.ready.Replies = append(o.ready.Replies, r) }

// SendSnapshot asks the host to send peer to this replica's newest
// snapshot (Ready.SendSnapshot): to asked for what this replica forgot.
// Asking twice in one Ready asks once.
func (o *Outbox) SendSnapshot(to ID) {
	for _, p := range o.ready.SendSnapshot {
		if p == to {
			return
		}
	}
	o.ready.SendSnapshot = append(o.ready.SendSnapshot, to)
}

// Ready hands over everything queued and starts afresh. The slices of the
// returned Ready are the host's only until its next call to Ready, which
// takes their arrays back for what is queued after it. Hosts carry out a
// Ready (paxi.Process) before they ask for the next one; one that keeps a
// Ready's slices longer must copy them. The messages, records and commands
// in them are never reused.
func (o *Outbox) Ready() Ready {
	r := o.ready
	o.ready = Ready{
		Persist:  emptied(o.spare.Persist),
		Messages: emptied(o.spare.Messages),
		Execute:  emptied(o.spare.Execute),
		Replies:  emptied(o.spare.Replies),
		// SendSnapshot is rare: a fresh slice when there is one.
	}
	o.spare = r
	return r
}

// emptied returns s with length zero and its old elements zeroed, so that
// the array does not keep handed-over messages alive.
func emptied[T any](s []T) []T {
	clear(s)
	return s[:0]
}
