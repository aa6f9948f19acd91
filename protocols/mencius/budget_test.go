package mencius

import (
	"testing"

	"github.com/agora-consensus/agora/internal/prototest"
)

// 17 MiB of commands queued in one Ready would be one Accept over the
// transport's frame, which the transport drops on every retry.
func TestBatchOfBigCommandsFitsTheFrame(t *testing.T) {
	prototest.RequireBigBatchesExecuted(newNet(t, 3), false)
}

// A replica that missed 17 MiB of chosen slots catches up in Chosen
// replies that each fit the frame.
func TestChosenReplyOfBigCommandsFitsTheFrame(t *testing.T) {
	c := newNet(t, 3)
	later := put(2, 1, "other", "small") // 1.3 learns of a slot past what it holds
	cmds := prototest.CatchUpBigBatch(c, 2*c.Reps[0].p.RetryTicks, func() { c.Propose(0, later) })
	c.RequireExecutedOnce(2, append(cmds, later))
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
		c.RequireExecutedOnce(i, cmds)
	}
}
