package prototest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/sim/conformance"
	"github.com/agora-consensus/agora/paxi/transport"
)

// Conformance runs the simulator's scenario suite on the registered
// protocol name at 3 and at 5 replicas, every message and record through
// the wire format, with the capabilities caps.
func Conformance(t *testing.T, name string, caps conformance.Capabilities) {
	for _, n := range []int{3, 5} {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			conformance.Run(t, name, nil,
				conformance.WithReplicas(n),
				conformance.WithCodec(transport.RoundTrip),
				conformance.WithCapabilities(caps))
		})
	}
}

// BigBatches queues 17 MiB of commands at replica 0 and 17 MiB more at
// replica 1, each in one Ready (one message over the transport's frame if
// the protocol did not cut it), runs the net, fails the test if any message
// was over the frame, then proposes one small command at replica 2 and
// returns everything proposed: replica 0's, replica 1's, the small one.
func BigBatches[P paxi.Protocol](c *Net[P]) []paxi.Command {
	a, b := BigPuts(1, "big", 17), BigPuts(2, "big", 17)
	for k := range a {
		c.Reps[0].Propose(paxi.Request{Command: a[k]})
		c.Reps[1].Propose(paxi.Request{Command: b[k]})
	}
	c.Run()
	c.RequireUnderFrame()
	later := Put(3, 1, "big", "small")
	c.Propose(2, later)
	return append(append(a, b...), later)
}

// MissedBigBatch has replica 0 propose 17 MiB of commands while replica 2
// hears nothing, runs the net until the others are done with them, heals
// the network and returns the commands: replica 2 must now catch up on
// them in messages that each fit the frame.
func MissedBigBatch[P paxi.Protocol](c *Net[P]) []paxi.Command {
	cut := c.IDs[2]
	c.Drop = func(e paxi.Envelope) bool { return e.To == cut || e.From == cut }
	cmds := BigPuts(1, "big", 17)
	for k := range cmds {
		c.Reps[0].Propose(paxi.Request{Command: cmds[k]})
	}
	c.Run()
	c.Drop, c.Largest = nil, 0
	return cmds
}

// RequireParamsRejected fails the test unless building a one-replica
// cluster with each case's params (a JSON object) fails with an error that
// contains the case's field name.
func RequireParamsRejected[P any](t *testing.T, build func(paxi.Env) (P, error), cases ...[2]string) {
	t.Helper()
	for _, tc := range cases {
		params, want := tc[0], tc[1]
		_, err := build(paxi.Env{ID: "1.1", Peers: []paxi.ID{"1.1"}, Params: []byte(params)})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("params %s: error %v, want one naming %s", params, err, want)
		}
	}
}

// RequireReplaysAlone restarts replica i with every other replica down and
// fails the test unless it executes exactly want again, from its own
// records alone.
func RequireReplaysAlone[P paxi.Protocol](t *testing.T, c *Net[P], i int, want []paxi.Command) {
	t.Helper()
	for j := range c.Reps {
		c.Down[j] = j != i
	}
	c.Restart(i)
	c.Run()
	if !slices.Equal(c.Exec[i], want) {
		t.Fatalf("after the restart %s executed %v, want %v", c.IDs[i], c.Exec[i], want)
	}
}

// Is reports whether m is a T, for passing message kinds to the helpers
// here: Is[*Accept].
func Is[T paxi.Message](m paxi.Message) bool { _, ok := m.(T); return ok }

// VotedOnceBigBatch has replica 0 propose 17 MiB of commands of which
// only replica 1 hears the accepts (isAccept) and no vote (isAccepted)
// reaches anyone, so nothing is chosen; it then takes replica 0 down, heals
// the network and returns the commands: whoever takes over must learn them
// from replica 1's promise, in parts that each fit the frame.
func VotedOnceBigBatch[P paxi.Protocol](c *Net[P], isAccept, isAccepted func(paxi.Message) bool) []paxi.Command {
	c.Drop = func(e paxi.Envelope) bool {
		return (isAccept(e.Msg) && e.To == c.IDs[2]) || isAccepted(e.Msg)
	}
	cmds := BigPuts(1, "big", 17)
	for k := range cmds {
		c.Reps[0].Propose(paxi.Request{Command: cmds[k]})
	}
	c.Run()
	c.Down[0], c.Drop, c.Largest = true, nil, 0
	return cmds
}
