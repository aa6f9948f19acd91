// Package unreplicated is the trivial protocol: each replica executes the
// commands it is given, alone, and replies. It proves the shared layer end to
// end and is the throughput ceiling every replicated protocol is compared
// with, since it pays for the runtime, the codec, the client path and the
// durable log but for no agreement at all.
package unreplicated

import "github.com/agora-consensus/agora/paxi"

func init() {
	paxi.RegisterMessage("unreplicated.Record", &Record{})
	paxi.Register("unreplicated", New)
}

// Record is the durable form of the commands a replica executed in one
// batch; replaying the records after a restart rebuilds the state machine.
type Record struct {
	Commands []paxi.Command
}

// Params configures the protocol.
type Params struct {
	// Persist makes every write durable before it executes (default true),
	// so the replica keeps what it acknowledged across a crash.
	Persist *bool `json:"persist,omitempty"`
}

// Replica is the protocol state at one replica: only the queue of commands
// proposed since the last Ready.
type Replica struct {
	paxi.Outbox
	persist bool           // whether writes go to the durable log
	queued  []paxi.Command // proposed, not yet handed to the host
}

// New builds a replica and replays what it persisted before a restart.
func New(env paxi.Env) (paxi.Protocol, error) {
	var p Params
	if err := paxi.DecodeParams(env.Params, &p); err != nil {
		return nil, err
	}
	r := &Replica{Outbox: paxi.NewOutbox(env.ID, env.Peers), persist: p.Persist == nil || *p.Persist}
	for _, m := range env.Restored {
		rec, ok := m.(*Record)
		if !ok {
			continue
		}
		for _, c := range rec.Commands {
			r.Execute(c)
		}
	}
	return r, nil
}

// Propose queues a command; it is executed when the host next takes Ready,
// so a burst of proposals shares one log sync.
func (r *Replica) Propose(req paxi.Request) { r.queued = append(r.queued, req.Command) }

// Step ignores peer messages: there are none in this protocol.
func (r *Replica) Step(paxi.ID, paxi.Message) {}

// Tick does nothing: the protocol has no timeouts.
func (r *Replica) Tick() {}

// Ready persists the queued writes (reads need no durability) and executes
// everything queued, in arrival order.
func (r *Replica) Ready() paxi.Ready {
	if len(r.queued) > 0 {
		if r.persist {
			var writes []paxi.Command
			for _, c := range r.queued {
				if c.Op.IsWrite() {
					writes = append(writes, c)
				}
			}
			// Records of at most paxi.MessageBudget bytes, well within
			// what the durable log takes in one record.
			for len(writes) > 0 {
				k := paxi.CutBatch(writes, 0)
				r.Persist(&Record{Commands: writes[:k:k]})
				writes = writes[k:]
			}
		}
		for _, c := range r.queued {
			r.Execute(c)
		}
		r.queued = r.queued[:0]
	}
	return r.Outbox.Ready()
}
