package main

import (
	"strconv"
	"testing"
)

// TestSettleWaitsForSnapshotCrashRestarts: a replica crashed at a snapshot
// step comes back RestartAfter later, and until then a put it acknowledged
// may be on its disk only. The run used to count as settled as soon as the
// running replicas agreed, and these seeds then failed liveness ("executed
// by no running replica") although nothing was lost.
func TestSettleWaitsForSnapshotCrashRestarts(t *testing.T) {
	for _, seed := range []int{124, 179, 226} {
		out, code := runSim(t, "-protocol", "epaxos", "-n", "3", "-latency", "lan", "-clients", "1", "-think", "50ms",
			"-duration", "4s", "-faults", "random", "-snapshot-every", "10", "-snapshot-crash-every", "3", "-seed", strconv.Itoa(seed))
		if code != exitOK {
			t.Errorf("seed %d: exit %d:\n%s", seed, code, out)
		}
	}
}
