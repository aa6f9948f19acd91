package paxi

import (
	"strings"
	"testing"
)

func bigCommand(id uint64, value int) Command {
	return Command{Op: Put, Key: "k", Value: strings.Repeat("v", value), ClientID: 1, CommandID: id}
}

func TestCutBatchCutsByBytesAndCount(t *testing.T) {
	var queue []Command
	for i := range 64 {
		queue = append(queue, bigCommand(uint64(i), 1<<20))
	}
	k := CutBatch(queue, 1000)
	if k < 1 || CommandsBytes(queue[:k]) > MessageBudget {
		t.Fatalf("batch of %d 1 MiB commands is %d bytes, budget %d", k, CommandsBytes(queue[:k]), MessageBudget)
	}
	if CommandsBytes(queue[:k+1]) <= MessageBudget {
		t.Fatalf("batch of %d stops short: %d more bytes would still fit", k, CommandBytes(queue[k]))
	}
	small := make([]Command, 10)
	if got := CutBatch(small, 4); got != 4 {
		t.Fatalf("count cap 4 cut %d", got)
	}
	if got := CutBatch(small, 0); got != 10 {
		t.Fatalf("no count cap cut %d of 10 small commands", got)
	}
	if got := CutBatch(nil, 4); got != 0 {
		t.Fatalf("empty queue cut %d", got)
	}
}

func TestBudgetTakesTheFirstItemWhateverItsSize(t *testing.T) {
	b := NewBudget(0)
	if !b.Take(2 * MessageBudget) {
		t.Fatal("an empty budget refused an item: a queue headed by it would never move")
	}
	if b.Take(1) {
		t.Fatal("a full budget took another item")
	}
	b.Reset()
	if !b.Take(MessageBudget/2) || !b.Take(MessageBudget/2) || b.Take(1) || b.Items() != 2 {
		t.Fatalf("budget after reset: items %d", b.Items())
	}
}
