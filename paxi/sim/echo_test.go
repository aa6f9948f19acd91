package sim_test

import (
	"fmt"

	"github.com/agora-consensus/agora/paxi"
)

// echo is a test protocol whose timing is easy to predict: a proposed
// command is sent to the next replica in the ring (Ping), which answers
// (Pong), and the proposer then executes it locally. With one replica it
// executes at once. Every execution is persisted first, and each replica
// counts what it received in memory only, so tests can tell persisted
// state from lost state.
type echo struct {
	paxi.Outbox
	peers    []paxi.ID
	next     paxi.ID
	restored int // records handed over by Env.Restored
	pings    int // Pings received by this incarnation (never persisted)
	pongs    int
}

type Ping struct{ Cmd paxi.Command }
type Pong struct{ Cmd paxi.Command }
type Done struct{ Cmd paxi.Command }

const echoName = "simtest-echo"

func init() {
	paxi.RegisterMessage("simtest.echo.Ping", &Ping{})
	paxi.RegisterMessage("simtest.echo.Pong", &Pong{})
	paxi.RegisterMessage("simtest.echo.Done", &Done{})
	paxi.Register(echoName, func(env paxi.Env) (paxi.Protocol, error) {
		i := paxi.IndexOf(env.Peers, env.ID)
		if i < 0 {
			return nil, fmt.Errorf("not a peer")
		}
		e := &echo{Outbox: paxi.NewOutbox(env.ID, env.Peers), peers: env.Peers, next: env.Peers[(i+1)%len(env.Peers)]}
		e.restored = len(env.Restored)
		return e, nil
	})
}

func (e *echo) Propose(req paxi.Request) {
	if e.next == e.Self() {
		e.done(req.Command)
		return
	}
	e.Send(e.next, &Ping{Cmd: req.Command})
}

func (e *echo) done(c paxi.Command) {
	e.Persist(&Done{Cmd: c})
	e.Execute(c)
}

func (e *echo) Step(from paxi.ID, m paxi.Message) {
	switch m := m.(type) {
	case *Ping:
		e.pings++
		e.Send(from, &Pong{Cmd: m.Cmd})
	case *Pong:
		e.pongs++
		e.done(m.Cmd)
	}
}

func (e *echo) Tick() {}
