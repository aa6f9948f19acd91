package node

import (
	"testing"

	"github.com/agora-consensus/agora/paxi"
)

// watcher records what the node hands it.
type watcher struct {
	down  []paxi.ID
	steps int
}

func (w *watcher) Propose(paxi.Request)         {}
func (w *watcher) Step(paxi.ID, paxi.Message)   { w.steps++ }
func (w *watcher) Tick()                        {}
func (w *watcher) Ready() paxi.Ready            { return paxi.Ready{} }
func (w *watcher) PeerDown(p paxi.ID)           { w.down = append(w.down, p) }
func (w *plain) Propose(paxi.Request)           {}
func (w *plain) Step(_ paxi.ID, m paxi.Message) { w.got = append(w.got, m) }
func (w *plain) Tick()                          {}
func (w *plain) Ready() paxi.Ready              { return paxi.Ready{} }

// plain is a protocol that does not watch peers.
type plain struct{ got []paxi.Message }

// The transport's notice that a connection dropped reaches a PeerWatcher's
// PeerDown, never Step: a protocol that does not watch peers (EPaxos
// warns about every message type it does not know) does not see it.
func TestPeerDownGoesToPeerWatchersOnly(t *testing.T) {
	w := &watcher{}
	n := &Node{proto: w}
	n.step(paxi.Envelope{From: "1.2", To: "1.1", Msg: &paxi.PeerDown{}})
	if len(w.down) != 1 || w.down[0] != "1.2" || w.steps != 0 {
		t.Fatalf("PeerDown calls %v, Step calls %d; want one PeerDown(1.2) and no Step", w.down, w.steps)
	}
	p := &plain{}
	n = &Node{proto: p}
	n.step(paxi.Envelope{From: "1.2", To: "1.1", Msg: &paxi.PeerDown{}})
	if len(p.got) != 0 {
		t.Fatalf("a protocol without PeerDown was handed %T", p.got[0])
	}
}
