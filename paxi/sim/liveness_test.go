package sim

import (
	"fmt"
	"slices"
	"testing"

	"github.com/agora-consensus/agora/paxi"
)

// TestLivenessNamesWhatEachReplicaMissed pins the liveness check's report
// of commands some running replicas executed and others did not: a count
// per replica and its first missing command in (client, command) order.
// A crashed replica is not asked.
func TestLivenessNamesWhatEachReplicaMissed(t *testing.T) {
	cmd := func(client, id uint64) paxi.Command {
		return paxi.Command{Op: paxi.Put, Key: "k", Value: fmt.Sprint(client, id), ClientID: client, CommandID: id}
	}
	rep := func(id paxi.ID, up bool, cmds ...paxi.Command) *replica {
		return &replica{id: id, up: up, log: &ExecLog{Replica: id, keep: true, Commands: cmds}}
	}
	s := &Sim{replicas: []*replica{
		rep("1.1", true, cmd(2, 1), cmd(1, 2), cmd(1, 1)),
		rep("2.1", true, cmd(1, 1)),
		rep("3.1", false),
		rep("4.1", true, cmd(1, 2), cmd(2, 1), cmd(1, 1)),
		rep("5.1", true, cmd(2, 1), cmd(1, 1)),
	}}
	got := s.checkLiveness()
	want := []string{
		"2.1 has not executed 2 commands that other replicas executed, e.g. put(k=1 2)#1.2",
		"5.1 has not executed 1 commands that other replicas executed, e.g. put(k=1 2)#1.2",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}
