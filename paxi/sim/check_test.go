package sim_test

import (
	"strings"
	"testing"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/sim"
)

func put(client, id uint64, key string) paxi.Command {
	return paxi.Command{Op: paxi.Put, Key: key, Value: "v", ClientID: client, CommandID: id}
}

func get(client, id uint64, key string) paxi.Command {
	return paxi.Command{Op: paxi.Get, Key: key, ClientID: client, CommandID: id}
}

func log(id paxi.ID, cmds ...paxi.Command) *sim.ExecLog {
	return &sim.ExecLog{Replica: id, Commands: cmds}
}

func TestExecutionOrderAcceptsLaggingReplica(t *testing.T) {
	a := log("1.1", put(1, 1, "x"), get(2, 1, "y"), put(3, 1, "x"), get(2, 2, "x"), get(4, 1, "x"))
	// Reads may swap with reads, and commands on other keys with anything.
	b := log("2.1", put(1, 1, "x"), put(3, 1, "x"), get(4, 1, "x"), get(2, 1, "y"), get(2, 2, "x"))
	c := log("3.1", put(1, 1, "x"))
	if v := sim.CheckExecutionOrder([]*sim.ExecLog{a, b, c}); len(v) != 0 {
		t.Fatalf("false violations: %v", v)
	}
}

func TestExecutionOrderFindsViolations(t *testing.T) {
	for name, tc := range map[string]struct {
		logs []*sim.ExecLog
		want string
	}{
		"writes swapped": {
			[]*sim.ExecLog{log("1.1", put(1, 1, "x"), put(2, 1, "x")), log("2.1", put(2, 1, "x"), put(1, 1, "x"))},
			"write number 0",
		},
		"read moved over a write": {
			[]*sim.ExecLog{log("1.1", get(3, 1, "x"), put(1, 1, "x")), log("2.1", put(1, 1, "x"), get(3, 1, "x"))},
			"read",
		},
		"executed twice": {
			[]*sim.ExecLog{log("1.1", put(1, 1, "x"), put(1, 1, "x"))},
			"twice",
		},
	} {
		v := sim.CheckExecutionOrder(tc.logs)
		if len(v) == 0 || !strings.Contains(strings.Join(v, "\n"), tc.want) {
			t.Errorf("%s: got %v, want a violation mentioning %q", name, v, tc.want)
		}
	}
}
