package paxi

import "testing"

func TestSlots(t *testing.T) {
	var l Slots[int]
	*l.Grow(3) = 3
	if l.Base() != 0 || l.End() != 4 || l.Len() != 4 || *l.At(3) != 3 || *l.At(0) != 0 {
		t.Fatalf("after Grow(3): base %d end %d", l.Base(), l.End())
	}
	*l.Grow(5) = 5
	if !l.Drop(4) || l.Drop(4) || l.Base() != 4 || l.End() != 6 || *l.At(5) != 5 {
		t.Fatalf("after Drop(4): base %d end %d", l.Base(), l.End())
	}
	if !l.Drop(9) || l.Base() != 9 || l.End() != 9 || l.Len() != 0 {
		t.Fatalf("after Drop(9) past the end: base %d end %d", l.Base(), l.End())
	}
	*l.Grow(10) = 10
	if *l.At(10) != 10 || *l.At(9) != 0 {
		t.Fatal("grow after dropping past the end")
	}
}
