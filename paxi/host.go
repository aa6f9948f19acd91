package paxi

// Effects is what a host (the node runtime or the simulator) does with the
// parts of a Ready. Both hosts go through Process, so a protocol sees the
// same ordering guarantees in a simulation as in a deployment.
type Effects interface {
	// Persist makes records durable (one sync for the whole batch).
	Persist(recs []Message) error
	// Send hands messages to the network; it must not block on peers.
	Send(msgs []Envelope)
	// Executed is told of each command after the state machine applied it.
	Executed(c Command, res Result)
	// Replied is told of each reply that does not come from execution.
	Replied(r Reply)
}

// SnapshotSender is implemented by a host that sends its newest snapshot
// to the peers a Ready lists in SendSnapshot (SnapshotTransfers), or, if
// records were logged since it was taken, a snapshot it takes for them.
type SnapshotSender interface {
	SendSnapshot(to []ID)
}

// Process carries out a Ready in the order the protocol relies on: persist,
// then send, then execute, then reply. If persisting fails nothing else is
// done, because sending a vote that is not durable could break safety after
// a crash.
func Process(rd Ready, kv *KV, fx Effects) error {
	if len(rd.Persist) > 0 {
		if err := fx.Persist(rd.Persist); err != nil {
			return err
		}
	}
	if len(rd.Messages) > 0 {
		fx.Send(rd.Messages)
	}
	if s, ok := fx.(SnapshotSender); ok && len(rd.SendSnapshot) > 0 {
		s.SendSnapshot(rd.SendSnapshot)
	}
	for _, c := range rd.Execute {
		fx.Executed(c, kv.Apply(c))
	}
	for _, r := range rd.Replies {
		fx.Replied(r)
	}
	return nil
}
