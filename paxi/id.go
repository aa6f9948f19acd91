package paxi

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// ID names a replica as "zone.node" (for example "2.3"), as in Paxi, so that
// zone-aware quorums and wide-area placements can be expressed directly.
type ID string

// ParseID validates s as "zone.node" with both parts positive integers below 256.
func ParseID(s string) (ID, error) {
	z, n, ok := strings.Cut(s, ".")
	if !ok {
		return "", fmt.Errorf("replica id %q: want zone.node, e.g. 1.1", s)
	}
	zi, err1 := strconv.Atoi(z)
	ni, err2 := strconv.Atoi(n)
	if err1 != nil || err2 != nil || zi <= 0 || ni <= 0 || zi > 255 || ni > 255 {
		return "", fmt.Errorf("replica id %q: zone and node must be integers in 1..255", s)
	}
	return ID(strconv.Itoa(zi) + "." + strconv.Itoa(ni)), nil
}

// MustID is ParseID for constants in tests and examples; it panics on bad input.
func MustID(s string) ID {
	id, err := ParseID(s)
	if err != nil {
		panic(err)
	}
	return id
}

// Zone returns the zone part of the id, or 0 if the id is malformed.
func (i ID) Zone() int {
	z, _, _ := strings.Cut(string(i), ".")
	v, _ := strconv.Atoi(z)
	return v
}

// Node returns the node part of the id, or 0 if the id is malformed.
func (i ID) Node() int {
	_, n, _ := strings.Cut(string(i), ".")
	v, _ := strconv.Atoi(n)
	return v
}

// Less orders ids by zone, then node, so "1.10" sorts after "1.9".
func (i ID) Less(j ID) bool {
	if i.Zone() != j.Zone() {
		return i.Zone() < j.Zone()
	}
	return i.Node() < j.Node()
}

// SortIDs sorts ids in place by (zone, node) and returns them.
func SortIDs(ids []ID) []ID {
	sort.Slice(ids, func(a, b int) bool { return ids[a].Less(ids[b]) })
	return ids
}

// IndexOf returns the position of id in ids, or -1.
func IndexOf(ids []ID, id ID) int {
	for k, x := range ids {
		if x == id {
			return k
		}
	}
	return -1
}
