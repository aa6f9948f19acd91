package paxi

import "testing"

func TestProgressReportDue(t *testing.T) {
	r := ProgressReport{Every: 2, Idle: 10}
	p := SlotProgress{Executed: 1, Commit: 1}
	var sent []int64
	for now := int64(1); now <= 30; now++ {
		if now == 5 {
			p.Commit = 2 // moved: reported within Every
		}
		if r.Due(now, p) {
			sent = append(sent, now)
		}
	}
	want := []int64{2, 5, 15, 25}
	if len(sent) != len(want) {
		t.Fatalf("sent at ticks %v, want %v", sent, want)
	}
	for i := range want {
		if sent[i] != want[i] {
			t.Fatalf("sent at ticks %v, want %v", sent, want)
		}
	}
}
