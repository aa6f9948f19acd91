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

// isAccept and isAccepted take a proposal and its answer in either form:
// one slot's, or a revocation's batch.
func isAccept(e paxi.Envelope) bool   { return is[*Accept](e) || is[*Accepts](e) }
func isAccepted(e paxi.Envelope) bool { return is[*Accepted](e) || is[*AcceptedSlots](e) }

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
	h.deliver(func(e paxi.Envelope) bool { return isAccept(e) && (e.To == id(0) || e.To == id(1)) })
	h.deliver(func(e paxi.Envelope) bool { return isAccepted(e) && e.To == id(2) })
	h.deliver(func(e paxi.Envelope) bool { return is[*Commit](e) && e.To == id(0) })
	t.Logf("X committed=%v cmds=%v", h.reps[2].log.At(0).Committed, h.reps[2].log.At(0).Cmds)
	h.q = append(h.q, pPrep...)
	// P's slow Prepares reach 1.4 and 1.5
	h.deliver(func(e paxi.Envelope) bool {
		return is[*Prepare](e) && e.From == id(1) && (e.To == id(3) || e.To == id(4))
	})
	h.deliver(func(e paxi.Envelope) bool { return is[*Promise](e) && e.To == id(1) })
	h.deliver(func(e paxi.Envelope) bool {
		return isAccept(e) && e.From == id(1) && (e.To == id(3) || e.To == id(4))
	})
	h.deliver(func(e paxi.Envelope) bool { return isAccepted(e) && e.To == id(1) })
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

// A revocation proposes in its whole range with one Accepts per peer, not
// one Accept per slot: with RevokeSpan 256, the 256 inputs were 0.77 s of
// a simulated replica at 3 ms per input, a replica catching up after a
// restart whose vote the revocation needed (docs/PERFORMANCE.md, the
// slow-restart stop). Its answer is one AcceptedSlots, and the range is
// chosen from it.
func TestRevocationProposesItsRangeInOneMessage(t *testing.T) {
	c := newNet(t, 3)
	sent := map[string]int{}
	c.Drop = func(e paxi.Envelope) bool {
		if e.From == "1.1" && e.To == "1.2" || e.From == "1.2" && e.To == "1.1" {
			sent[paxi.MessageName(e.Msg)]++
		}
		return false
	}
	c.Down[2] = true
	c.Propose(1, put(1, 1, "k", "x")) // slot 1
	c.Propose(0, put(3, 1, "k", "z")) // slot 3; execution waits on 1.3's slot 2
	r := c.Reps[0]
	clear(sent)
	r.revoke(2, r.log.Commit)
	c.Run()
	if sent["mencius.Accept"] != 0 || sent["mencius.Accepts"] != 1 || sent["mencius.AcceptedSlots"] != 1 {
		t.Fatalf("a revocation of %d slots sent %v between 1.1 and 1.2, want one Accepts and one AcceptedSlots", r.p.RevokeSpan, sent)
	}
	for _, s := range []int64{2, 2 + 3*int64(r.p.RevokeSpan-1)} {
		if e := r.log.At(s); !e.Committed || !e.Noop {
			t.Fatalf("1.3's slot %d is not a chosen no-op after the revocation", s)
		}
	}
	c.RequireUnderFrame()
}
