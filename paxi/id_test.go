package paxi

import "testing"

func TestParseID(t *testing.T) {
	good := map[string]ID{"1.1": "1.1", "2.3": "2.3", "01.2": "1.2", "255.255": "255.255"}
	for in, want := range good {
		got, err := ParseID(in)
		if err != nil || got != want {
			t.Errorf("ParseID(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "1", "1.", ".1", "a.b", "0.1", "1.0", "1.2.3", "256.1", "-1.1"} {
		if _, err := ParseID(bad); err == nil {
			t.Errorf("ParseID(%q) accepted a malformed id", bad)
		}
	}
}

func TestIDOrderIsNumeric(t *testing.T) {
	ids := SortIDs([]ID{"2.1", "1.10", "1.9", "1.1"})
	want := []ID{"1.1", "1.9", "1.10", "2.1"}
	for i := range want {
		if ids[i] != want[i] {
			t.Fatalf("SortIDs = %v, want %v", ids, want)
		}
	}
	if MustID("3.7").Zone() != 3 || MustID("3.7").Node() != 7 {
		t.Fatal("Zone/Node wrong for 3.7")
	}
}
