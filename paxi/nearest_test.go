package paxi

import (
	"slices"
	"testing"
)

func TestNearestFirstSortsByDistanceAndBreaksTiesInRingOrder(t *testing.T) {
	peers := []ID{"1.1", "1.2", "2.1", "2.2", "3.1"}
	// Equal distances: ring order after self.
	if got, want := NearestFirst("2.1", peers, func(ID) int64 { return 7 }), []ID{"2.2", "3.1", "1.1", "1.2"}; !slices.Equal(got, want) {
		t.Fatalf("equal distances: %v, want %v", got, want)
	}
	// No distances: own zone first.
	if got, want := NearestFirst("1.2", peers, nil), []ID{"1.1", "2.1", "2.2", "3.1"}; !slices.Equal(got, want) {
		t.Fatalf("by zone: %v, want %v", got, want)
	}
	dist := map[ID]int64{"1.1": 30, "1.2": 10, "2.2": 20, "3.1": 10}
	if got, want := NearestFirst("2.1", peers, func(p ID) int64 { return dist[p] }), []ID{"3.1", "1.2", "2.2", "1.1"}; !slices.Equal(got, want) {
		t.Fatalf("by distance: %v, want %v", got, want)
	}
}
