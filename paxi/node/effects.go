package node

import (
	"fmt"
	"time"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/transport"
)

// Persist encodes the records and makes them durable with one sync.
func (n *Node) Persist(recs []paxi.Message) error {
	if cap(n.encBuf) < len(recs) {
		n.encBuf = make([][]byte, len(recs))
	}
	enc := n.encBuf[:len(recs)]
	for i, m := range recs {
		b, err := transport.Marshal(enc[i][:0], m)
		if err != nil {
			// A record the codec cannot carry is a protocol bug; losing it
			// silently could lose a vote, so stop instead.
			return fmt.Errorf("encode %s: %w", paxi.MessageName(m), err)
		}
		enc[i] = b
	}
	if err := n.store.Append(enc...); err != nil {
		return err
	}
	n.snap.noteLogged(enc)
	start := time.Now()
	err := n.store.Sync()
	n.metrics.fsync.Observe(time.Since(start).Seconds())
	n.metrics.persisted.Add(float64(len(recs)))
	return err
}

// Send hands every message to the transport, which queues it per peer and
// flushes each connection once its queue is drained.
func (n *Node) Send(msgs []paxi.Envelope) {
	for _, e := range msgs {
		n.tr.Send(e)
	}
}

// Executed answers the client waiting at this replica, if any.
func (n *Node) Executed(c paxi.Command, res paxi.Result) {
	n.executed.Add(1)
	n.metrics.executions.Inc()
	if res.Duplicate {
		n.metrics.duplicates.Inc()
	}
	if c.Op == paxi.Noop {
		return
	}
	if reply, ok := n.waiting.Take(c.Ident()); ok {
		reply(paxi.Reply{ClientID: c.ClientID, CommandID: c.CommandID, Value: res.Value})
	}
}

// Replied forwards a protocol's own answer (a write acknowledged at commit,
// a redirect) to the waiting client; a later execution then stays silent.
func (n *Node) Replied(r paxi.Reply) {
	if reply, ok := n.waiting.Take(r.Ident()); ok {
		reply(r)
	}
}
