package mencius

import (
	"testing"

	"github.com/agora-consensus/agora/internal/prototest"
	"github.com/agora-consensus/agora/paxi"
)

// requireExecutedOnce fails unless replica i executed every command of want
// exactly once.
func requireExecutedOnce(t *testing.T, c *net, i int, want []paxi.Command) {
	t.Helper()
	seen := map[paxi.CommandKey]int{}
	for _, cmd := range c.Exec[i] {
		seen[cmd.Ident()]++
	}
	for _, cmd := range want {
		if seen[cmd.Ident()] != 1 {
			t.Fatalf("%s executed %v %d times, want once (executed %d commands)", c.IDs[i], cmd.Ident(), seen[cmd.Ident()], len(c.Exec[i]))
		}
	}
}

// 17 MiB of commands queued in one Ready would be one Accept over the
// transport's frame, which the transport drops on every retry.
func TestBatchOfBigCommandsFitsTheFrame(t *testing.T) {
	c := newNet(t, 3)
	want := prototest.BigBatches(c)
	for i := range c.Reps {
		requireExecutedOnce(t, c, i, want)
	}
}

// A replica that missed 17 MiB of chosen slots catches up in Chosen
// replies that each fit the frame.
func TestChosenReplyOfBigCommandsFitsTheFrame(t *testing.T) {
	c := newNet(t, 3)
	cmds := prototest.MissedBigBatch(c)
	later := put(2, 1, "other", "small") // 1.3 learns of a slot past what it holds
	c.Propose(0, later)
	for range 2 * c.Reps[0].p.RetryTicks {
		for i := range c.Reps {
			c.Tick(i, 1)
		}
	}
	c.RequireUnderFrame()
	requireExecutedOnce(t, c, 2, append(cmds, later))
}

// A revoker learns 17 MiB of votes in the revoked owner's slots in Promise
// parts that each fit the frame, and proposes them all again.
func TestPromiseOfBigVotesComesInPartsThatFitTheFrame(t *testing.T) {
	c := newNet(t, 3)
	// The owner's proposals reach 1.2 only, and no vote reaches it back.
	cmds := prototest.VotedOnceBigBatch(c, prototest.Is[*Accept], prototest.Is[*Accepted])
	c.Reps[2].revoke(0, 0)
	c.Run()
	for range 2 * c.Reps[1].p.RetryTicks {
		c.Tick(1, 1)
		c.Tick(2, 1)
	}
	c.RequireUnderFrame()
	for i := 1; i < 3; i++ {
		requireExecutedOnce(t, c, i, cmds)
	}
}
