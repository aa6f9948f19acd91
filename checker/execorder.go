package checker

import (
	"fmt"
	"slices"
	"sort"

	"github.com/agora-consensus/agora/paxi"
)

// ExecViolationKind says what an ExecViolation is.
type ExecViolationKind int

const (
	// Reordered: Replica executed A before B and Other executed B before A,
	// though A and B interfere.
	Reordered ExecViolationKind = iota + 1
	// Duplicate: Replica executed A twice.
	Duplicate
	// Missing: Replica never executed A but executed B, which must follow A:
	// Other executed A before B and they interfere, or (Other empty) A was
	// acknowledged to its client and B is a later command of the same
	// client (see CheckExecution).
	Missing
	// Conflicting: Replica and Other executed different commands A and B
	// under the same (ClientID, CommandID).
	Conflicting
)

func (k ExecViolationKind) String() string {
	switch k {
	case Reordered:
		return "reordered"
	case Duplicate:
		return "duplicate"
	case Missing:
		return "missing"
	case Conflicting:
		return "conflicting"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// ExecViolation is one disagreement between replica execution logs.
type ExecViolation struct {
	Kind           ExecViolationKind
	Replica, Other paxi.ID
	A, B           paxi.Command
}

func (v ExecViolation) String() string {
	switch v.Kind {
	case Reordered:
		return fmt.Sprintf("reordered: replica %s executed %v before %v, replica %s the other way round", v.Replica, v.A, v.B, v.Other)
	case Duplicate:
		return fmt.Sprintf("duplicate: replica %s executed %v twice", v.Replica, v.A)
	case Missing:
		if v.Other != "" {
			return fmt.Sprintf("missing: replica %s executed %v but never %v, which replica %s executed before it", v.Replica, v.B, v.A, v.Other)
		}
		if v.A.Op == 0 {
			return fmt.Sprintf("missing: replica %s executed %v, a later command of the same client, but no replica executed the acknowledged command %d.%d",
				v.Replica, v.B, v.A.ClientID, v.A.CommandID)
		}
		return fmt.Sprintf("missing: replica %s executed %v, a later command of the same client, but never the acknowledged %v", v.Replica, v.B, v.A)
	case Conflicting:
		return fmt.Sprintf("conflicting: replica %s executed %v and replica %s executed %v under the same id", v.Replica, v.A, v.Other, v.B)
	}
	return v.Kind.String()
}

// replicaLog is one replica's execution log, indexed for CheckExecution.
// Commands are named by dense ids (see execIndex) so that the pairwise
// comparisons index slices instead of hashing.
type replicaLog struct {
	id   paxi.ID
	seq  []int32               // command ids, first executions only, in order
	pos  []int32               // position in seq per command id, -1 if never executed
	keys [][]int32             // positions in seq, per key id
	mine map[clientKey][]int32 // command ids per client and key, in CommandID order
	// latest is the id of each client's command with the largest CommandID.
	latest map[uint64]int32
}

func (r *replicaLog) has(c int32) bool { return r.pos[c] >= 0 }

type clientKey struct {
	client uint64
	key    string
}

// execIndex names every command and key seen in any log by a dense id.
type execIndex struct {
	ids    map[paxi.CommandKey]int32
	cmds   []paxi.Command // first execution seen, per id
	firstR []paxi.ID      // the replica that executed it first in ID order
	keyIDs map[string]int32
	keyOf  []int32 // key id per command id
	write  []bool  // whether each command id is a put or a delete
}

// CheckExecution compares the execution logs of replicas, each the commands
// a replica applied to its state machine in order, and returns every
// disagreement, each kind reported once per replica pair and key:
//
//   - two interfering commands executed in different orders by two
//     replicas (compared on the commands both executed, per key: the order
//     of the writes, and for each get the writes before it);
//   - a command executed twice by one replica;
//   - a command missing from a replica that executed past it: that executed
//     a command B that another replica executed after A, A and B
//     interfering, so every replica must execute A first; or, for an
//     acknowledged A, that executed a later interfering command B of the
//     same client when no replica executed both (clients number their
//     commands in the order they issue them, and issue a command on a key
//     only once their previous one on it is acknowledged); an acknowledged
//     command that no replica executed is missing from every replica that
//     executed a later command of its client, on any key, and is reported
//     with only its ClientID and CommandID set;
//   - two different commands executed under one (ClientID, CommandID).
//
// No-ops and commands with ClientID 0 carry no client identity, so they are
// not checked. The logs must hold everything each replica ever executed,
// including before a restart, and should be taken once the run has
// quiesced; a replica that is merely behind is not reported. The cost is
// linear in the total length of the logs for each pair of replicas.
func CheckExecution(logs map[paxi.ID][]paxi.Command, acked []paxi.CommandKey) []ExecViolation {
	var out []ExecViolation
	ids := make([]paxi.ID, 0, len(logs))
	for id := range logs {
		ids = append(ids, id)
	}
	paxi.SortIDs(ids)
	longest := 0
	for _, l := range logs {
		longest = max(longest, len(l))
	}
	x := &execIndex{ids: make(map[paxi.CommandKey]int32, longest), keyIDs: map[string]int32{},
		cmds: make([]paxi.Command, 0, longest), firstR: make([]paxi.ID, 0, longest), keyOf: make([]int32, 0, longest)}
	reps := make([]*replicaLog, len(ids))
	conflicted := map[int32]bool{}
	for r, id := range ids {
		rl := &replicaLog{id: id, mine: map[clientKey][]int32{}, latest: map[uint64]int32{}}
		reps[r] = rl
		for _, c := range logs[id] {
			if c.Op == paxi.Noop || c.ClientID == 0 {
				continue
			}
			g, ok := x.ids[c.Ident()]
			if !ok {
				g = int32(len(x.cmds))
				x.ids[c.Ident()] = g
				x.cmds = append(x.cmds, c)
				x.firstR = append(x.firstR, id)
				k, ok := x.keyIDs[c.Key]
				if !ok {
					k = int32(len(x.keyIDs))
					x.keyIDs[c.Key] = k
				}
				x.keyOf = append(x.keyOf, k)
				x.write = append(x.write, c.Op.IsWrite())
			} else if x.cmds[g] != c && !conflicted[g] {
				out = append(out, ExecViolation{Kind: Conflicting, Replica: x.firstR[g], Other: id, A: x.cmds[g], B: c})
				conflicted[g] = true
			}
			rl.seq = append(rl.seq, g)
		}
	}
	for _, rl := range reps {
		rl.pos = make([]int32, len(x.cmds))
		for g := range rl.pos {
			rl.pos[g] = -1
		}
		rl.keys = make([][]int32, len(x.keyIDs))
		seq := rl.seq[:0]
		dup := map[int32]bool{}
		for _, g := range rl.seq {
			if rl.pos[g] >= 0 {
				if !dup[g] {
					out = append(out, ExecViolation{Kind: Duplicate, Replica: rl.id, A: x.cmds[g]})
					dup[g] = true
				}
				continue
			}
			p := int32(len(seq))
			rl.pos[g] = p
			seq = append(seq, g)
			rl.keys[x.keyOf[g]] = append(rl.keys[x.keyOf[g]], p)
			c := &x.cmds[g]
			ck := clientKey{c.ClientID, c.Key}
			rl.mine[ck] = append(rl.mine[ck], g)
			if l, ok := rl.latest[c.ClientID]; !ok || x.cmds[l].CommandID < c.CommandID {
				rl.latest[c.ClientID] = g
			}
		}
		rl.seq = seq
		for _, gs := range rl.mine {
			slices.SortFunc(gs, func(a, b int32) int { return cmpUint64(x.cmds[a].CommandID, x.cmds[b].CommandID) })
		}
	}
	keyNames := make([]string, len(x.keyIDs))
	for k, id := range x.keyIDs {
		keyNames[id] = k
	}
	keyOrder := make([]int32, len(keyNames))
	for k := range keyOrder {
		keyOrder[k] = int32(k)
	}
	sort.Slice(keyOrder, func(a, b int) bool { return keyNames[keyOrder[a]] < keyNames[keyOrder[b]] })
	scratch := make([]int32, len(x.cmds))
	for a := range reps {
		for b := a + 1; b < len(reps); b++ {
			out = append(out, compareOrders(x, reps[a], reps[b], keyOrder, scratch)...)
		}
	}
	type replicaCmd struct{ r, g int32 }
	missing := map[replicaCmd]bool{}
	for r, rl := range reps {
		for w, wl := range reps {
			if w == r {
				continue
			}
			for _, v := range findMissing(x, rl, wl, keyOrder) {
				m := replicaCmd{int32(r), x.ids[v.A.Ident()]}
				if !missing[m] {
					missing[m] = true
					out = append(out, v)
				}
			}
		}
	}
	seenExecuted := make([]bool, len(x.cmds))
	seen := map[paxi.CommandKey]bool{}
	for _, k := range acked {
		if k.ClientID == 0 {
			continue
		}
		g, executed := x.ids[k]
		if executed && seenExecuted[g] || !executed && seen[k] {
			continue
		}
		if executed {
			seenExecuted[g] = true
		} else {
			seen[k] = true
		}
		for r, rl := range reps {
			if !executed {
				// Nobody executed it, so its key is unknown: any later
				// command of the client shows the replica is past it.
				if d, ok := rl.latest[k.ClientID]; ok && x.cmds[d].CommandID > k.CommandID {
					out = append(out, ExecViolation{Kind: Missing, Replica: rl.id, A: paxi.Command{ClientID: k.ClientID, CommandID: k.CommandID}, B: x.cmds[d]})
				}
				continue
			}
			if rl.has(g) || missing[replicaCmd{int32(r), g}] {
				continue
			}
			if d, ok := laterOfClient(x, reps, rl, g); ok {
				out = append(out, ExecViolation{Kind: Missing, Replica: rl.id, A: x.cmds[g], B: x.cmds[d]})
			}
		}
	}
	return out
}

// compareOrders reports interfering commands that a and b executed in
// different orders. Per key, the writes both executed must come in the
// same order; given that, a get is ordered the same way against every
// common write exactly when the same number of common writes precede it.
func compareOrders(x *execIndex, a, b *replicaLog, keyOrder []int32, scratch []int32) []ExecViolation {
	var out []ExecViolation
	for _, key := range keyOrder {
		if len(a.keys[key]) == 0 || len(b.keys[key]) == 0 {
			continue
		}
		wa := commonWrites(x, a, b, key)
		wb := commonWrites(x, b, a, key)
		reordered := false
		for k := range wa {
			if wa[k] != wb[k] {
				// wb[k] comes after wa[k] in a, and before it in b.
				out = append(out, ExecViolation{Kind: Reordered, Replica: a.id, Other: b.id, A: x.cmds[wa[k]], B: x.cmds[wb[k]]})
				reordered = true
				break
			}
		}
		if reordered {
			continue
		}
		// scratch[g], for each get g on key that b executed, counts the
		// common writes b executed before it.
		n := int32(0)
		for _, p := range b.keys[key] {
			g := b.seq[p]
			switch {
			case !x.write[g]:
				scratch[g] = n
			case a.has(g):
				n++
			}
		}
		n = 0
		for _, p := range a.keys[key] {
			g := a.seq[p]
			if x.write[g] {
				if b.has(g) {
					n++
				}
				continue
			}
			if !b.has(g) || scratch[g] == n {
				continue
			}
			if m := scratch[g]; n < m {
				out = append(out, ExecViolation{Kind: Reordered, Replica: a.id, Other: b.id, A: x.cmds[g], B: x.cmds[wa[n]]})
			} else {
				out = append(out, ExecViolation{Kind: Reordered, Replica: a.id, Other: b.id, A: x.cmds[wa[m]], B: x.cmds[g]})
			}
			break
		}
	}
	return out
}

// commonWrites lists, in a's order, the writes on key that b also executed.
func commonWrites(x *execIndex, a, b *replicaLog, key int32) []int32 {
	var out []int32
	for _, p := range a.keys[key] {
		g := a.seq[p]
		if b.has(g) && x.write[g] {
			out = append(out, g)
		}
	}
	return out
}

// findMissing reports commands that w executed and r did not, although r
// executed an interfering command that w executed after them. Per key, a
// write is needed before any later command r executed, a get before any
// later write r executed.
func findMissing(x *execIndex, r, w *replicaLog, keyOrder []int32) []ExecViolation {
	var out []ExecViolation
	for _, key := range keyOrder {
		seq := w.keys[key]
		if len(seq) == 0 || len(r.keys[key]) == 0 {
			continue
		}
		nextAny, nextWrite := int32(-1), int32(-1) // the next command (write) after the current one that r executed
		var found []ExecViolation
		for i := len(seq) - 1; i >= 0; i-- {
			g := w.seq[seq[i]]
			write := x.write[g]
			if r.has(g) {
				nextAny = g
				if write {
					nextWrite = g
				}
				continue
			}
			next := nextWrite
			if write {
				next = nextAny
			}
			if next >= 0 {
				found = append(found, ExecViolation{Kind: Missing, Replica: r.id, Other: w.id, A: x.cmds[g], B: x.cmds[next]})
			}
		}
		slices.Reverse(found)
		out = append(out, found...)
	}
	return out
}

// laterOfClient finds a command that r executed, from the same client as g
// with a larger CommandID and interfering with it, that no replica executed
// together with g. It looks at a few candidates only, which keeps the check
// linear; the nearest ones are the telling ones.
func laterOfClient(x *execIndex, reps []*replicaLog, r *replicaLog, g int32) (int32, bool) {
	c := x.cmds[g]
	gs := r.mine[clientKey{c.ClientID, c.Key}]
	k := sort.Search(len(gs), func(k int) bool { return x.cmds[gs[k]].CommandID > c.CommandID })
	for tries := 0; k < len(gs) && tries < 8; k++ {
		d := gs[k]
		if !x.cmds[d].Interferes(c) {
			continue
		}
		tries++
		both := false
		for _, o := range reps {
			both = both || (o.has(g) && o.has(d))
		}
		if !both {
			return d, true
		}
	}
	return 0, false
}

func cmpUint64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
