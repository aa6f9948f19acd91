package paxi

import "slices"

// Slots holds per-slot state from Base on, for protocols that order
// commands in numbered slots (Multi-Paxos, Mencius). Slots below Base,
// which every replica has executed, are dropped from the front, so memory
// follows what is in flight rather than the length of the run.
type Slots[E any] struct {
	base int64
	s    []E // s[i] is slot base+i
}

// Base is the lowest slot held.
func (l *Slots[E]) Base() int64 { return l.base }

// End is the first slot past those held.
func (l *Slots[E]) End() int64 { return l.base + int64(len(l.s)) }

// Len is the number of slots held.
func (l *Slots[E]) Len() int { return len(l.s) }

// At returns slot s; Base <= s < End.
func (l *Slots[E]) At(s int64) *E { return &l.s[s-l.base] }

// Grow returns slot s (s >= Base), first extending the log with zero
// slots to hold it.
func (l *Slots[E]) Grow(s int64) *E {
	if n := int(s - l.End() + 1); n > 0 {
		l.s = slices.Grow(l.s, n)[:len(l.s)+n]
	}
	return l.At(s)
}

// Drop forgets the slots below upto, and reports whether it dropped any.
func (l *Slots[E]) Drop(upto int64) bool {
	if upto <= l.base {
		return false
	}
	k := min(upto-l.base, int64(len(l.s)))
	clear(l.s[:k])
	l.s = l.s[k:]
	l.base = upto
	return true
}
