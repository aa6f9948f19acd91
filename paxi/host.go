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
	for _, c := range rd.Execute {
		fx.Executed(c, kv.Apply(c))
	}
	for _, r := range rd.Replies {
		fx.Replied(r)
	}
	return nil
}

// Waiting tracks the clients waiting at one replica, by command. A command
// is answered once: by a Reply (say a write acknowledged at commit) or by its
// execution, whichever comes first; Take returns false for the later one.
type Waiting[T any] struct {
	m map[CommandKey]T
}

// Add registers a waiter for command k.
func (w *Waiting[T]) Add(k CommandKey, v T) {
	if w.m == nil {
		w.m = map[CommandKey]T{}
	}
	w.m[k] = v
}

// Take removes and returns the waiter for k, if any.
func (w *Waiting[T]) Take(k CommandKey) (T, bool) {
	v, ok := w.m[k]
	if ok {
		delete(w.m, k)
	}
	return v, ok
}

// Len is the number of waiting commands.
func (w *Waiting[T]) Len() int { return len(w.m) }

// Drain calls f for every waiter and forgets them all (used when a replica
// stops and its clients must be told).
func (w *Waiting[T]) Drain(f func(CommandKey, T)) {
	for k, v := range w.m {
		f(k, v)
	}
	w.m = nil
}
