package unreplicated

import (
	"testing"

	"github.com/agora-consensus/agora/internal/prototest"
	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/transport"
)

func TestExecutesAndPersistsWritesOnly(t *testing.T) {
	p, err := New(paxi.Env{ID: "1.1", Peers: []paxi.ID{"1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	p.Propose(paxi.Request{Command: paxi.Command{Op: paxi.Put, Key: "k", Value: "v", ClientID: 1, CommandID: 1}})
	p.Propose(paxi.Request{Command: paxi.Command{Op: paxi.Get, Key: "k", ClientID: 1, CommandID: 2}})
	rd := p.Ready()
	if len(rd.Execute) != 2 || len(rd.Persist) != 1 || len(rd.Persist[0].(*Record).Commands) != 1 {
		t.Fatalf("want 2 executions and 1 persisted write, got %+v", rd)
	}
	if rd2 := p.Ready(); !rd2.Empty() {
		t.Fatalf("second Ready not empty: %+v", rd2)
	}
}

func TestRestartReplaysPersistedWrites(t *testing.T) {
	rec := &Record{Commands: []paxi.Command{{Op: paxi.Put, Key: "a", Value: "1", ClientID: 1, CommandID: 1}}}
	p, err := New(paxi.Env{ID: "1.1", Peers: []paxi.ID{"1.1"}, Restored: []paxi.Message{rec}})
	if err != nil {
		t.Fatal(err)
	}
	kv := paxi.NewKV()
	for _, c := range p.Ready().Execute {
		kv.Apply(c)
	}
	if v, _ := kv.Get("a"); v != "1" {
		t.Fatalf("restart lost a persisted write: a=%q", v)
	}
}

func TestUnknownParamIsRejected(t *testing.T) {
	if _, err := New(paxi.Env{ID: "1.1", Peers: []paxi.ID{"1.1"}, Params: []byte(`{"persits":false}`)}); err == nil {
		t.Fatal("a misspelt parameter was accepted")
	}
}

// 64 writes of 1 MiB in one Ready were one record over the durable log's
// MaxRecordSize (64 MiB), which fails the append and stops the replica.
func TestBigWritesArePersistedInRecordsUnderTheBudget(t *testing.T) {
	p, err := New(paxi.Env{ID: "1.1", Peers: []paxi.ID{"1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	cmds := prototest.BigPuts(1, "big", 64)
	for _, c := range cmds {
		p.Propose(paxi.Request{Command: c})
	}
	rd := p.Ready()
	persisted := 0
	for _, m := range rd.Persist {
		b, err := transport.Marshal(nil, m)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > transport.DefaultMaxFrame {
			t.Fatalf("a record of %d bytes; records are cut to %d", len(b), paxi.MessageBudget)
		}
		persisted += len(m.(*Record).Commands)
	}
	if persisted != len(cmds) || len(rd.Execute) != len(cmds) {
		t.Fatalf("persisted %d and executed %d of %d writes", persisted, len(rd.Execute), len(cmds))
	}
}
