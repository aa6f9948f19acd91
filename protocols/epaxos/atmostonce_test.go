package epaxos

import (
	"testing"

	"github.com/agora-consensus/agora/paxi"
)

// A client that reuses a command id on another key must not make replicas
// diverge. The two writes do not interfere by key, so each leader executes
// its own first; if deduplication by (client, id) then skips the other
// one, replica 1.1 holds a and 1.2 holds b (issue 12).
func TestReusedCommandIDOnAnotherKeyDoesNotDiverge(t *testing.T) {
	c := newCluster(t, 3, "")
	a := paxi.Command{Op: paxi.Put, Key: "a", Value: "x", ClientID: 7, CommandID: 5}
	b := paxi.Command{Op: paxi.Put, Key: "b", Value: "y", ClientID: 7, CommandID: 5}
	c.propose(0, a)
	c.propose(1, b)
	c.settle()
	c.tick(200)
	for i := range c.kvs {
		va, _ := c.kvs[i].Get("a")
		vb, _ := c.kvs[i].Get("b")
		t.Logf("replica %s: a=%q b=%q", c.ids[i], va, vb)
	}
	for i := 1; i < len(c.kvs); i++ {
		for _, k := range []string{"a", "b"} {
			v0, ok0 := c.kvs[0].Get(k)
			vi, oki := c.kvs[i].Get(k)
			if v0 != vi || ok0 != oki {
				t.Fatalf("replicas diverged on %q: %s has %q (%v), %s has %q (%v)", k, c.ids[0], v0, ok0, c.ids[i], vi, oki)
			}
		}
	}
}
