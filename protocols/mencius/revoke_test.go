package mencius

import (
	"testing"

	"github.com/agora-consensus/agora/paxi"
)

// hold is a network where messages wait until a test delivers them.
type hold struct {
	t    *testing.T
	ids  []paxi.ID
	reps []*Replica
	q    []paxi.Envelope
	exec [][]paxi.Command
}

func newHold(t *testing.T, n int) *hold {
	c := newNet(t, n)
	return &hold{t: t, ids: c.IDs, reps: c.Reps, exec: make([][]paxi.Command, n)}
}
func (h *hold) flush(i int) {
	rd := h.reps[i].Ready()
	for _, e := range rd.Messages {
		e.Msg = roundTrip(h.t, e.Msg)
		h.q = append(h.q, e)
	}
	h.exec[i] = append(h.exec[i], rd.Execute...)
}

// deliver held messages matching f (type name, from, to), flushing receivers.
func (h *hold) deliver(f func(e paxi.Envelope) bool) {
	for {
		found := false
		for k, e := range h.q {
			if f(e) {
				h.q = append(h.q[:k:k], h.q[k+1:]...)
				to := paxi.IndexOf(h.ids, e.To)
				h.reps[to].Step(e.From, e.Msg)
				h.flush(to)
				found = true
				break
			}
		}
		if !found {
			return
		}
	}
}
func is[T any](e paxi.Envelope) bool { _, ok := e.Msg.(T); return ok }

// A revoker that promised a higher ballot to another revoker, and then
// gets the promises for its own lower one, must not propose there: the
// other may have chosen a command in the slot (found in review: 1.1 and 1.3
// executed c in slot 0, and 1.2, 1.4 and 1.5 a no-op).
func TestRevokerVotesBelowItsPromise(t *testing.T) {
	h := newHold(t, 5)
	id := func(i int) paxi.ID { return h.ids[i] }
	c := put(1, 1, "k", "c")
	// owner 1.1 proposes c in slot 0; its Accept reaches only 1.3
	h.reps[0].Propose(paxi.Request{Command: c})
	h.flush(0)
	h.deliver(func(e paxi.Envelope) bool { return is[*Accept](e) && e.To == id(2) })
	h.deliver(func(e paxi.Envelope) bool { return is[*Accepted](e) })
	h.q = nil // the rest of the owner's Accepts are lost; owner crashes/is slow
	// P = 1.2 starts revoking 1.1's slots; its Prepares are slow
	h.reps[1].revoke(0, 0)
	h.flush(1)
	pPrep := h.q
	h.q = nil
	// X = 1.3 revokes at a higher ballot; 1.1 and 1.2 promise
	h.reps[2].revoke(0, 0)
	h.flush(2)
	h.deliver(func(e paxi.Envelope) bool {
		return is[*Prepare](e) && (e.To == id(0) || e.To == id(1))
	})
	h.deliver(func(e paxi.Envelope) bool { return is[*Promise](e) && e.To == id(2) })
	// X proposes c at bX; 1.1 and 1.2 accept: c chosen
	h.deliver(func(e paxi.Envelope) bool { return is[*Accept](e) && (e.To == id(0) || e.To == id(1)) })
	h.deliver(func(e paxi.Envelope) bool { return is[*Accepted](e) && e.To == id(2) })
	h.deliver(func(e paxi.Envelope) bool { return is[*Commit](e) && e.To == id(0) })
	t.Logf("X committed=%v cmds=%v", h.reps[2].log.At(0).Committed, h.reps[2].log.At(0).Cmds)
	h.q = append(h.q, pPrep...)
	// P's slow Prepares reach 1.4 and 1.5
	h.deliver(func(e paxi.Envelope) bool {
		return is[*Prepare](e) && e.From == id(1) && (e.To == id(3) || e.To == id(4))
	})
	h.deliver(func(e paxi.Envelope) bool { return is[*Promise](e) && e.To == id(1) })
	h.deliver(func(e paxi.Envelope) bool {
		return is[*Accept](e) && e.From == id(1) && (e.To == id(3) || e.To == id(4))
	})
	h.deliver(func(e paxi.Envelope) bool { return is[*Accepted](e) && e.To == id(1) })
	h.deliver(func(e paxi.Envelope) bool {
		return is[*Commit](e) && e.From == id(1) && (e.To == id(3) || e.To == id(4))
	})
	for i := range 5 {
		e := h.reps[i].log.At(0)
		t.Logf("%s slot0 committed=%v noop=%v cmds=%v bal=%v vbal=%v exec=%v", id(i), e.Committed, e.Noop, e.Cmds, e.bal, e.VBal, h.exec[i])
	}
	if h.reps[2].log.At(0).Committed && h.reps[1].log.At(0).Committed && h.reps[2].log.At(0).Noop != h.reps[1].log.At(0).Noop {
		t.Fatal("slot 0 chosen twice: c at 1.3's ballot, no-op at 1.2's")
	}
}
