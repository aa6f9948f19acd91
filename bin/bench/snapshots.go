package main

import (
	"fmt"
	"strconv"
)

// snapshotSetting is one cluster's snapshot configuration in a sweep.
type snapshotSetting struct {
	every, bytes int64
	label        string // appended to the point ("" for the servers' default)
	dir          string // appended to the cluster's directory
}

// snapshotSettings pairs the -snapshot-every and -snapshot-log-bytes
// lists (a single value goes with each of the other list's); both empty
// is one cluster with the servers' default. A setting given more than
// once (to alternate off and on) is numbered: "#2".
func snapshotSettings(every, bytes string) ([]snapshotSetting, error) {
	if every == "" && bytes == "" {
		return []snapshotSetting{{}}, nil
	}
	parse := func(flag, s string, least int64) ([]int64, error) {
		if s == "" {
			return []int64{0}, nil
		}
		var out []int64
		for _, f := range splitList(s) {
			v, err := strconv.ParseInt(f, 10, 64)
			if err != nil || v < least {
				return nil, fmt.Errorf("-%s: %q is not a whole number >= %d", flag, f, least)
			}
			out = append(out, v)
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("-%s: no values in %q", flag, s)
		}
		return out, nil
	}
	es, err := parse("snapshot-every", every, -1)
	if err != nil {
		return nil, err
	}
	bs, err := parse("snapshot-log-bytes", bytes, -1)
	if err != nil {
		return nil, err
	}
	n := max(len(es), len(bs))
	if len(es) != n && len(es) != 1 || len(bs) != n && len(bs) != 1 {
		return nil, fmt.Errorf("-snapshot-every has %d values and -snapshot-log-bytes %d: give as many of each, or one", len(es), len(bs))
	}
	var out []snapshotSetting
	seen := map[string]int{}
	for i := 0; i < n; i++ {
		s := snapshotSetting{every: es[min(i, len(es)-1)], bytes: bs[min(i, len(bs)-1)]}
		name := "on"
		if s.every <= 0 && s.bytes == -1 {
			name = "off"
		}
		label := fmt.Sprintf("snapshots %s (every %d, log bytes %d)", name, s.every, s.bytes)
		seen[label]++
		if seen[label] > 1 {
			label += fmt.Sprintf(" #%d", seen[label])
		}
		s.label, s.dir = " "+label, fmt.Sprintf("-snap%d", i+1)
		out = append(out, s)
	}
	return out, nil
}
