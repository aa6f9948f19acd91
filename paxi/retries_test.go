package paxi

import (
	"slices"
	"testing"
)

func TestRetries(t *testing.T) {
	var q Retries
	cmd := func(id uint64) Command { return Command{Op: Put, Key: "k", ClientID: 1, CommandID: id} }
	due := func(now, after int64, limit int, skip uint64) []uint64 {
		var got []uint64
		q.Due(now, after, limit, func(c Command) bool {
			if c.CommandID == skip {
				return false
			}
			got = append(got, c.CommandID)
			return true
		})
		return got
	}
	for id := uint64(1); id <= 5; id++ {
		q.Add(cmd(id), int64(id))
	}
	q.Add(cmd(3), 9) // already kept: keeps its first tick
	q.Done(CommandKey{1, 2})
	if q.Len() != 4 || q.Has(CommandKey{1, 2}) || !q.Has(CommandKey{1, 3}) {
		t.Fatalf("Len %d, Has(2) %v, Has(3) %v", q.Len(), q.Has(CommandKey{1, 2}), q.Has(CommandKey{1, 3}))
	}
	if got := due(10, 6, 10, 0); !slices.Equal(got, []uint64{1, 3, 4}) {
		t.Fatalf("due at 10 after 6: %v, want [1 3 4]", got)
	}
	if got := due(12, 6, 10, 0); !slices.Equal(got, []uint64{5}) {
		t.Fatalf("due at 12: %v, want [5] (the others were tried at 10)", got)
	}
	if got := due(20, 6, 1, 1); !slices.Equal(got, []uint64{3}) {
		t.Fatalf("due at 20, limit 1, 1 skipped: %v, want [3]", got)
	}
	for id := uint64(1); id <= 4; id++ {
		q.Done(CommandKey{1, id})
	}
	var all []uint64
	q.All(30, func(c Command) { all = append(all, c.CommandID) })
	if !slices.Equal(all, []uint64{5}) || due(31, 6, 10, 0) != nil {
		t.Fatalf("All after the others executed: %v", all)
	}
	if len(q.list) != 1 {
		t.Fatalf("%d entries kept after compaction, want 1", len(q.list))
	}
}
