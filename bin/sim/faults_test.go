package main

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestFaultKindsFlag(t *testing.T) {
	for _, args := range [][]string{
		{"-faults", "random", "-fault-kinds", "stale,bogus"},
		{"-fault-kinds", "stale"}, // without -faults random
	} {
		out, code := runSim(t, append([]string{"-protocol", "simtest-pb", "-n", "3", "-duration", "1s"}, args...)...)
		if code != exitUsage || strings.Count(strings.TrimSpace(out), "\n") != 0 || !strings.Contains(out, "-fault-kinds") {
			t.Errorf("%v: exit %d, want %d and one line naming -fault-kinds:\n%s", args, code, exitUsage, out)
		}
	}
	out, code := runSim(t, "-protocol", "simtest-pb", "-n", "3", "-duration", "2s", "-faults", "random", "-fault-kinds", "stale,hold", "-avoid", "1.1")
	if code != exitOK || !strings.Contains(out, "linearizable=ok") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

// TestDeepSwarm is the swarm that finds bugs needing a reply delayed
// across two elections (the "stale" and "hold" faults; see docs/faults.md):
// AGORA_SWARM_SEEDS seeds of each replicated protocol with five replicas.
// It is long (about 1.5 minutes per 10,000 seeds of Multi-Paxos on two
// cores, several times that for Mencius), so it runs only when asked:
//
//	AGORA_SWARM_SEEDS=2000 go test ./bin/sim/ -run TestDeepSwarm -v
func TestDeepSwarm(t *testing.T) {
	seeds, err := strconv.Atoi(os.Getenv("AGORA_SWARM_SEEDS"))
	if err != nil || seeds < 1 {
		t.Skip("set AGORA_SWARM_SEEDS to a number of seeds to run the deep swarm")
	}
	for _, proto := range []string{"multipaxos", "mencius", "epaxos"} {
		t.Run(proto, func(t *testing.T) {
			args := []string{"-protocol", proto, "-n", "5", "-latency", "lan", "-clients", "1", "-think", "50ms",
				"-duration", "4s", "-faults", "random", "-seeds", strconv.Itoa(seeds)}
			out, code := runSim(t, args...)
			if code != exitOK {
				t.Fatalf("exit %d:\n%s", code, out)
			}
			t.Log(strings.TrimSpace(out))
		})
	}
}
