package checker

import (
	"context"
	"math/rand/v2"
	"slices"
	"sort"
)

// This file is the complete search used when gets cannot be mapped to the
// writes they read (a value written twice, or a get of "" that may have read
// the initial value or any delete). It is the Wing and Gong search as
// improved by Lowe and implemented by Porcupine: extend a linearization one
// operation at a time, choosing among the operations not preceded by any
// operation still unlinearized, and backtrack on failure, never revisiting a
// (set of linearized operations, register value) pair. Two register-specific
// rules make it fast on real histories:
//
//   - A candidate get that returns the current value is linearized at once
//     and never reconsidered. Any linearization that places it later stays
//     valid with it moved here: a get does not change the value, and every
//     operation that must precede it is already linearized.
//   - Only writes are branched on, so the memo holds one entry per write
//     choice rather than one per operation.
//   - A state is abandoned as soon as some unlinearized get returned a value
//     that is not the current one and that no unlinearized write (nor the
//     initial value, before the first write) can produce any more.
//   - Writes are tried most promising first: a write whose value a waiting
//     get returned, the get that must be linearized soonest first; then
//     the write that returned first. On a linearizable history this finds
//     a linearization with little backtracking; on any history it changes
//     only the order in which the same choices are tried.

// searcher is the state of one search over one key's operations.
type searcher struct {
	ops []kop // sorted by call
	n   int32 // len(ops); also the index of the head of both lists
	// nextC/prevC link the unlinearized operations in call order, and
	// nextR/prevR in return order; removed entries keep their links so that
	// removals can be undone in reverse order (Knuth's dancing links).
	nextC, prevC, nextR, prevR []int32
	zobrist                    []uint64 // a random number per operation, XORed into hash while it is linearized
	hash                       uint64
	front                      int32 // the highest index linearized so far, -1 if none
	left                       int   // completed operations not yet linearized
	state                      int32 // the register's value id
	undo                       []undoEntry
	memo                       map[uint64]int32 // hash -> first entry of its chain
	entries                    []memoEntry
	arena                      []int32 // the unlinearized sets of memo entries
	cands                      []int32 // the candidate writes of every open frame, best first
	need                       []int64 // per value id: earliest return of a waiting get of it
	needGen                    []int32 // per value id: the frame count when need was set
	gen                        int32
	// writers[v] counts the unlinearized writes of value v, plus one for
	// the initial value while no write is linearized; readers[v] counts the
	// unlinearized completed gets of v; orphans counts the values v with
	// writers[v] == 0 < readers[v].
	writers, readers []int32
	orphans          int32
	writesDone       int32
}

// undoEntry records one linearized operation and what it overwrote.
type undoEntry struct {
	op, front, state int32
}

// memoEntry identifies a visited (linearized set, value) pair exactly. The
// linearized set is all indices up to front except the listed ones, which
// are few: they are operations overtaken by later ones, so at most the
// concurrency of the history plus the pending writes left out.
type memoEntry struct {
	state, front   int32
	unlinOff, unln int32
	next           int32
}

func newSearcher(ops []kop, nvals int32) *searcher {
	n := int32(len(ops))
	s := &searcher{ops: ops, n: n, front: -1, memo: make(map[uint64]int32),
		need: make([]int64, nvals), needGen: make([]int32, nvals)}
	s.nextC = make([]int32, n+1)
	s.prevC = make([]int32, n+1)
	s.nextR = make([]int32, n+1)
	s.prevR = make([]int32, n+1)
	s.zobrist = make([]uint64, n)
	rng := rand.New(rand.NewPCG(uint64(n), 0x9e3779b97f4a7c15))
	for i := range s.zobrist {
		s.zobrist[i] = rng.Uint64()
	}
	byRet := make([]int32, n)
	for i := range byRet {
		byRet[i] = int32(i)
	}
	sort.SliceStable(byRet, func(a, b int) bool { return ops[byRet[a]].ret < ops[byRet[b]].ret })
	link := func(next, prev []int32, order func(int32) int32) {
		last := n
		for k := int32(0); k < n; k++ {
			i := order(k)
			next[last], prev[i] = i, last
			last = i
		}
		next[last], prev[n] = n, last
	}
	link(s.nextC, s.prevC, func(k int32) int32 { return k })
	link(s.nextR, s.prevR, func(k int32) int32 { return byRet[k] })
	s.writers = make([]int32, nvals)
	s.readers = make([]int32, nvals)
	s.writers[0] = 1
	for i := range ops {
		if ops[i].ret != never {
			s.left++
		}
		if ops[i].write {
			s.writers[ops[i].val]++
		} else {
			s.readers[ops[i].val]++
		}
	}
	for v := range s.writers {
		if s.writers[v] == 0 && s.readers[v] > 0 {
			s.orphans++
		}
	}
	return s
}

// addWriters and addReaders change the counts behind orphans.
func (s *searcher) addWriters(v, d int32) {
	was := s.writers[v] == 0 && s.readers[v] > 0
	s.writers[v] += d
	s.orphans += b2i(s.writers[v] == 0 && s.readers[v] > 0) - b2i(was)
}

func (s *searcher) addReaders(v, d int32) {
	was := s.writers[v] == 0 && s.readers[v] > 0
	s.readers[v] += d
	s.orphans += b2i(s.writers[v] == 0 && s.readers[v] > 0) - b2i(was)
}

func b2i(b bool) int32 {
	if b {
		return 1
	}
	return 0
}

// dead reports that some get can no longer be linearized: its value is not
// the current one and nothing left can write it.
func (s *searcher) dead() bool {
	v := s.state
	return s.orphans > b2i(s.writers[v] == 0 && s.readers[v] > 0)
}

// count updates the writer and reader counts for linearizing (d = 1) or
// un-linearizing (d = -1) operation i.
func (s *searcher) count(i int32, d int32) {
	o := &s.ops[i]
	switch {
	case o.write:
		if d > 0 && s.writesDone == 0 || d < 0 && s.writesDone == 1 {
			s.addWriters(0, -d)
		}
		s.writesDone += d
		s.addWriters(o.val, -d)
	case o.ret != never:
		s.addReaders(o.val, -d)
	}
}

// minRet is the earliest return among unlinearized operations: only an
// operation called no later than it may be linearized next.
func (s *searcher) minRet() int64 {
	if s.nextR[s.n] == s.n {
		return never
	}
	return s.ops[s.nextR[s.n]].ret
}

func (s *searcher) linearize(i int32) {
	s.nextC[s.prevC[i]], s.prevC[s.nextC[i]] = s.nextC[i], s.prevC[i]
	s.nextR[s.prevR[i]], s.prevR[s.nextR[i]] = s.nextR[i], s.prevR[i]
	s.undo = append(s.undo, undoEntry{op: i, front: s.front, state: s.state})
	s.hash ^= s.zobrist[i]
	s.count(i, 1)
	s.front = max(s.front, i)
	if s.ops[i].ret != never {
		s.left--
	}
	if s.ops[i].write {
		s.state = s.ops[i].val
	}
}

// undoTo reverts linearizations until only mark of them remain.
func (s *searcher) undoTo(mark int) {
	for len(s.undo) > mark {
		u := s.undo[len(s.undo)-1]
		s.undo = s.undo[:len(s.undo)-1]
		i := u.op
		s.nextR[s.prevR[i]], s.prevR[s.nextR[i]] = i, i
		s.nextC[s.prevC[i]], s.prevC[s.nextC[i]] = i, i
		s.hash ^= s.zobrist[i]
		s.count(i, -1)
		s.front, s.state = u.front, u.state
		if s.ops[i].ret != never {
			s.left++
		}
	}
}

// linearizeReads linearizes every candidate get that returns the current
// value; see the file comment for why this never needs to be undone alone.
func (s *searcher) linearizeReads() {
	for i := s.nextC[s.n]; i != s.n && s.ops[i].call <= s.minRet(); {
		next := s.nextC[i]
		if !s.ops[i].write && s.ops[i].val == s.state {
			s.linearize(i)
		}
		i = next
	}
}

// visited reports whether the current (linearized set, value) pair was seen
// before, and records it if not.
func (s *searcher) visited() bool {
	key := s.hash ^ (uint64(s.state)+1)*0x9e3779b97f4a7c15
	off := int32(len(s.arena))
	for i := s.nextC[s.n]; i != s.n && i <= s.front; i = s.nextC[i] {
		s.arena = append(s.arena, i)
	}
	unlin := s.arena[off:]
	head, ok := s.memo[key]
	if ok {
		for e := head; e >= 0; e = s.entries[e].next {
			m := &s.entries[e]
			if m.state != s.state || m.front != s.front || int(m.unln) != len(unlin) {
				continue
			}
			same := true
			for k, i := range s.arena[m.unlinOff : m.unlinOff+m.unln] {
				if unlin[k] != i {
					same = false
					break
				}
			}
			if same {
				s.arena = s.arena[:off]
				return true
			}
		}
	} else {
		head = -1
	}
	s.memo[key] = int32(len(s.entries))
	s.entries = append(s.entries, memoEntry{state: s.state, front: s.front, unlinOff: off, unln: int32(len(unlin)), next: head})
	return false
}

// frame is one choice point of the search: the write that led to it starts
// at undo[mark], its candidates are cands[lo:end], and cands[next:end] are
// still to be tried.
type frame struct {
	mark          int
	lo, next, end int32
}

// openFrame lists the candidate writes of the current state, best first,
// and returns the frame that will try them.
func (s *searcher) openFrame(mark int) frame {
	s.gen++
	lo := int32(len(s.cands))
	mr := s.minRet()
	for i := s.nextC[s.n]; i != s.n && s.ops[i].call <= mr; i = s.nextC[i] {
		o := &s.ops[i]
		switch {
		case o.write:
			s.cands = append(s.cands, i)
		case s.needGen[o.val] != s.gen || o.ret < s.need[o.val]:
			s.need[o.val], s.needGen[o.val] = o.ret, s.gen
		}
	}
	urgency := func(w int32) int64 {
		if v := s.ops[w].val; s.needGen[v] == s.gen {
			return s.need[v]
		}
		return never
	}
	c := s.cands[lo:]
	slices.SortFunc(c, func(a, b int32) int {
		if d := cmpInt64(urgency(a), urgency(b)); d != 0 {
			return d
		}
		return cmpInt64(s.ops[a].ret, s.ops[b].ret)
	})
	return frame{mark: mark, lo: lo, next: lo, end: int32(len(s.cands))}
}

// run decides the key's history. It returns Unknown if ctx ends first.
func (s *searcher) run(ctx context.Context) Verdict {
	s.linearizeReads()
	if s.left == 0 {
		return Ok
	}
	if s.dead() {
		return Illegal
	}
	s.visited()
	frames := []frame{s.openFrame(0)}
	for step := 0; ; step++ {
		if step&4095 == 0 && ctx.Err() != nil {
			return Unknown
		}
		top := &frames[len(frames)-1]
		if top.next == top.end {
			if len(frames) == 1 {
				return Illegal
			}
			s.cands = s.cands[:top.lo]
			s.undoTo(top.mark)
			frames = frames[:len(frames)-1]
			continue
		}
		c := s.cands[top.next]
		top.next++
		mark := len(s.undo)
		s.linearize(c)
		s.linearizeReads()
		if s.left == 0 {
			return Ok
		}
		if s.dead() || s.visited() {
			s.undoTo(mark)
			continue
		}
		frames = append(frames, s.openFrame(mark))
	}
}
