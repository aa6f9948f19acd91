package epaxos

import (
	"strings"
	"testing"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/transport"
)

// bigPuts are n writes of 1 MiB values, the largest a client may send, all
// to one key so that they conflict with each other and with later writes.
func bigPuts(client uint64, n int) []paxi.Command {
	v := strings.Repeat("v", 1<<20)
	out := make([]paxi.Command, n)
	for i := range out {
		out[i] = paxi.Command{Op: paxi.Put, Key: "big", Value: v, ClientID: client, CommandID: uint64(i + 1)}
	}
	return out
}

// requireUnderFrame fails unless every message delivered so far fit the
// transport's frame: a larger one is dropped by the TCP transport, on
// every retry.
func (c *cluster) requireUnderFrame() {
	c.t.Helper()
	if c.largest > transport.DefaultMaxFrame {
		c.t.Fatalf("a %s of %d bytes was built: the transport refuses frames over %d", c.largestName, c.largest, transport.DefaultMaxFrame)
	}
	c.t.Logf("largest message: %s, %d bytes (frame limit %d)", c.largestName, c.largest, transport.DefaultMaxFrame)
}

func TestBatchOfBigCommandsFitsTheFrame(t *testing.T) {
	c := newCluster(t, 3, "")
	// 20 MiB queued in one Ready would be one PreAccept over the frame.
	cmds := bigPuts(1, 20)
	c.propose(0, cmds...)
	c.settle()
	c.requireUnderFrame()
	if got := c.reps[0].Counters().Instances; got < 2 {
		t.Fatalf("20 MiB of commands went into %d instance(s)", got)
	}
	later := put(2, 1, "big") // conflicts with all of them
	c.propose(1, later)
	c.settle()
	c.requireExecutedEverywhere(c.live(), append(cmds, later))
}

func TestCatchUpReplyOfBigCommandsFitsTheFrame(t *testing.T) {
	c := newCluster(t, 3, "")
	// Replica 2 hears nothing while two instances of about 10 MiB each
	// commit, then asks for both in one CommitRequest.
	c.drop = func(e paxi.Envelope) bool { return e.To == c.ids[2] || e.From == c.ids[2] }
	cmds := bigPuts(1, 20)
	c.propose(0, cmds...)
	c.settle()
	c.drop = nil
	c.largest = 0
	c.tick(3 * DefaultParams().RetryTicks)
	c.requireUnderFrame()
	if c.sent["epaxos.Commits"] < 2 {
		t.Fatalf("caught up with %d Commits replies, want the 20 MiB cut in at least 2", c.sent["epaxos.Commits"])
	}
	c.requireExecutedEverywhere(c.live(), cmds)
}
