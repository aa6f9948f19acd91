package checker

import (
	"fmt"
	"slices"
	"strings"
)

// String explains the result in words: the verdict and, for a violation, the
// operations that show it and why they cannot be linearized.
func (r Result) String() string {
	var b strings.Builder
	switch r.Verdict {
	case Ok:
		fmt.Fprintf(&b, "linearizable (%d keys)\n", r.Keys)
		return b.String()
	case Unknown:
		fmt.Fprintf(&b, "unknown: the time limit expired before every one of %d keys was checked\n", r.Keys)
		return b.String()
	}
	fmt.Fprintf(&b, "not linearizable: %d of %d keys have violations", len(r.IllegalKeys), r.Keys)
	if len(r.IllegalKeys) > 1 {
		shown := r.IllegalKeys[:min(10, len(r.IllegalKeys))]
		fmt.Fprintf(&b, " (%s", strings.Join(shown, ", "))
		if len(shown) < len(r.IllegalKeys) {
			b.WriteString(", ...")
		}
		b.WriteString(")")
	}
	fmt.Fprintf(&b, "\nkey %q: these %d operations cannot be linearized", r.Key, len(r.Ops))
	if r.Minimal {
		b.WriteString(" (removing any one of them makes the rest linearizable)")
	} else {
		b.WriteString(" (the search for a smaller set ran out of time)")
	}
	b.WriteString(":\n")
	for k, o := range r.Ops {
		fmt.Fprintf(&b, "  #%d  line %d  %s\n", k+1, r.Indices[k]+1, o)
	}
	b.WriteString(r.Reason)
	if !strings.HasSuffix(r.Reason, "\n") {
		b.WriteString("\n")
	}
	return b.String()
}

// explain says why the operations witness (indices into all, one key) cannot
// be linearized. When every get in them can be mapped to the write it read,
// the zone conflict found by checkZones is the reason; otherwise the reason
// is the definition itself.
func explain(all []Operation, witness []int32) string {
	if len(witness) == 1 {
		o := all[witness[0]]
		if o.Op == "get" {
			return fmt.Sprintf("Why: the get returned %q, but no operation on key %q wrote that value.", o.Value, o.Key)
		}
	}
	h, _ := prepareKey(all, witness)
	if h.unique {
		if from, exact := mapReads(&h, 0); exact {
			if v := checkZones(h.ops, from); v != nil {
				return explainZones(all, h.ops, v, witness)
			}
		}
	}
	return "Why: no order of these operations respects both real time (an operation that returned " +
		"before another was called must come first) and the register's rule (a get returns the " +
		"value of the latest put, or \"\" if there is none or a delete came after it)."
}

// explainZones puts a zone conflict into words, naming operations by their
// number in the printed list.
func explainZones(all []Operation, ops []kop, v *zoneViolation, witness []int32) string {
	name := func(i int32) string {
		k := slices.Index(witness, ops[i].orig)
		o := all[ops[i].orig]
		return fmt.Sprintf("#%d (%s)", k+1, o.Op)
	}
	value := func(z zone) string {
		if z.write == initialCluster {
			return "the initial empty value"
		}
		o := all[ops[z.write].orig]
		if o.Op == "put" && o.Value != "" {
			return fmt.Sprintf("%q (written by %s)", o.Value, name(z.write))
		}
		return fmt.Sprintf("the empty value left by %s", name(z.write))
	}
	span := func(z zone) string {
		if z.fOp < 0 {
			return fmt.Sprintf("%s must stay the register's value from the start until %s was called at %d, since %s read it",
				value(z), name(z.sOp), z.s, name(z.sOp))
		}
		return fmt.Sprintf("%s must stay the register's value from %d, when %s returned, until %d, when %s was called, "+
			"since both saw it and one precedes the other", value(z), z.f, name(z.fOp), z.s, name(z.sOp))
	}
	switch {
	case v.read >= 0:
		return fmt.Sprintf("Why: %s returned at %d a value that %s wrote, but %s was only called at %d.",
			name(v.read), ops[v.read].ret, name(v.a.write), name(v.a.write), ops[v.a.write].call)
	case v.b.forward:
		return fmt.Sprintf("Why: %s. Likewise %s. These spans overlap, so the register would have to hold both values at once.",
			span(v.a), span(v.b))
	}
	return fmt.Sprintf("Why: %s. But %s and the gets that returned it cannot all come before that span "+
		"(%s was called at %d, after it began) nor all after it (%s returned at %d, before it ended), "+
		"so the value would change while it had to stay.",
		span(v.a), value(v.b), name(v.b.sOp), v.b.s, name(v.b.fOp), v.b.f)
}
