package sim

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/agora-consensus/agora/paxi"
)

// Action is one timed fault of a schedule. Exactly one of its fault fields
// is set. In JSON: {"at":"2s","crash":"1.2"}, {"at":"3s","partition":[["1.1"],["2.1","3.1"]]},
// {"at":"4s","links":{"from":"1.1","drop":0.5}}, {"at":"5s","heal_all":true}.
type Action struct {
	At time.Duration `json:"-"`
	// Crash and Restart name a replica to crash or restart.
	Crash   paxi.ID `json:"crash,omitempty"`
	Restart paxi.ID `json:"restart,omitempty"`
	// Partition splits the replicas into groups (see Sim.Partition).
	Partition [][]paxi.ID `json:"partition,omitempty"`
	// Isolate cuts one replica off from all others.
	Isolate paxi.ID `json:"isolate,omitempty"`
	// Cut cuts one replica off from some peers only (see CutRule).
	Cut *CutRule `json:"cut,omitempty"`
	// Heal removes partitions, full and partial.
	Heal bool `json:"heal,omitempty"`
	// Hold holds back matching messages for a while (see HoldRule).
	Hold *HoldRule `json:"hold,omitempty"`
	// Links sets the faults of the links matching From and To ("" is any).
	Links *LinkRule `json:"links,omitempty"`
	// Slow sets a replica's extra service time per input.
	Slow *SlowRule `json:"slow,omitempty"`
	// StopClients and StartClients quiesce and resume a replica's clients.
	StopClients  paxi.ID `json:"stop_clients,omitempty"`
	StartClients paxi.ID `json:"start_clients,omitempty"`
	// HealAll ends every fault (see Sim.HealAll).
	HealAll bool `json:"heal_all,omitempty"`
}

// LinkRule sets faults on the directed links from From to To.
type LinkRule struct {
	From paxi.ID `json:"from,omitempty"`
	To   paxi.ID `json:"to,omitempty"`
	LinkFaults
}

// SlowRule makes one replica slow.
type SlowRule struct {
	Node  paxi.ID       `json:"node"`
	Extra paxi.Duration `json:"extra"`
}

type actionJSON struct {
	At paxi.Duration `json:"at"`
	actionAlias
}

type actionAlias Action

// MarshalJSON writes At as a duration string.
func (a Action) MarshalJSON() ([]byte, error) {
	return json.Marshal(actionJSON{At: paxi.Duration(a.At), actionAlias: actionAlias(a)})
}

// UnmarshalJSON reads At as a duration string such as "2s".
func (a *Action) UnmarshalJSON(b []byte) error {
	var w actionJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*a = Action(w.actionAlias)
	a.At = time.Duration(w.At)
	return nil
}

// Apply carries out one action now.
func (s *Sim) Apply(a Action) {
	switch {
	case a.Crash != "":
		s.Crash(a.Crash)
	case a.Restart != "":
		s.Restart(a.Restart)
	case a.Partition != nil:
		s.Partition(a.Partition...)
	case a.Isolate != "":
		s.Isolate(a.Isolate)
	case a.Cut != nil:
		s.Cut(*a.Cut)
	case a.Heal:
		s.Heal()
	case a.Hold != nil:
		s.Hold(*a.Hold)
	case a.Links != nil:
		s.SetLinkFaults(a.Links.From, a.Links.To, a.Links.LinkFaults)
	case a.Slow != nil:
		s.SetSlow(a.Slow.Node, time.Duration(a.Slow.Extra))
	case a.StopClients != "":
		s.StopClients(a.StopClients)
	case a.StartClients != "":
		s.StartClients(a.StartClients)
	case a.HealAll:
		s.HealAll()
	}
}

func (a Action) String() string {
	b, _ := json.Marshal(a)
	return string(b)
}

// validate checks that exactly one fault is set and names real replicas.
func (a Action) validate(ids []paxi.ID) error {
	set := 0
	var named []paxi.ID
	add := func(ok bool, id ...paxi.ID) {
		if ok {
			set++
			named = append(named, id...)
		}
	}
	add(a.Crash != "", a.Crash)
	add(a.Restart != "", a.Restart)
	if a.Partition != nil {
		set++
		for _, g := range a.Partition {
			named = append(named, g...)
		}
	}
	add(a.Isolate != "", a.Isolate)
	if a.Cut != nil {
		add(true, append([]paxi.ID{a.Cut.Node}, a.Cut.Peers...)...)
	}
	add(a.Heal)
	if a.Hold != nil {
		set++
		for _, id := range []paxi.ID{a.Hold.From, a.Hold.To} {
			if id != "" {
				named = append(named, id)
			}
		}
		if a.Hold.For <= 0 {
			return fmt.Errorf("sim: schedule action %v: a hold needs a positive \"for\"", a)
		}
	}
	if a.Links != nil {
		set++
		for _, id := range []paxi.ID{a.Links.From, a.Links.To} {
			if id != "" {
				named = append(named, id)
			}
		}
	}
	if a.Slow != nil {
		add(true, a.Slow.Node)
	}
	add(a.StopClients != "", a.StopClients)
	add(a.StartClients != "", a.StartClients)
	add(a.HealAll)
	if set != 1 {
		return fmt.Errorf("sim: schedule action %v at %v must set exactly one fault, has %d", a, a.At, set)
	}
	for _, id := range named {
		if paxi.IndexOf(ids, id) < 0 {
			return fmt.Errorf("sim: schedule action %v names %q, which is not a replica", a, id)
		}
	}
	if a.At < 0 {
		return fmt.Errorf("sim: schedule action %v at negative time", a)
	}
	return nil
}

// RandomFaults generates a fault schedule from the seed: crashes and
// restarts that keep at most MaxDown replicas down, partitions, partial
// partitions (one replica cut off from some peers), bursts of loss,
// duplication and reordering, slow nodes, and holds (the messages of one
// type on one link, or one message, held back for up to a few seconds, long
// enough for elections to happen before they arrive), and the "stale"
// shape (see drawStale: a request held across two elections, its answer
// reaching a deposed leader), all ended by Stop.
type RandomFaults struct {
	// Stop is when every fault has ended (a HealAll is scheduled then).
	Stop time.Duration `json:"stop"`
	// MeanGap is the mean time between two fault starts (default 500ms).
	MeanGap time.Duration `json:"mean_gap,omitempty"`
	// MaxDown caps the replicas down at once (default F = (N-1)/2).
	MaxDown int `json:"max_down,omitempty"`
	// Kinds restricts the faults drawn (default all): "crash", "partition",
	// "cut", "loss", "duplicate", "reorder", "slow", "hold", "stale".
	Kinds []string `json:"kinds,omitempty"`
	// Avoid lists replicas never crashed or cut off (a fixed leader).
	Avoid []paxi.ID `json:"avoid,omitempty"`
	// Quiesce, when positive, stops a replica's clients this long before
	// crashing it, for protocols that cannot yet recover the in-flight
	// commands of a failed replica.
	Quiesce time.Duration `json:"quiesce,omitempty"`
	// Types lists the message names a hold picks from (paxi.MessageName).
	// Left empty, the simulator fills in the protocol's registered types
	// (names starting with the protocol's name and a dot); with none, a
	// hold takes messages of every type.
	Types []string `json:"types,omitempty"`
}

// FaultKinds lists the kinds RandomFaults draws from.
var FaultKinds = []string{"crash", "partition", "cut", "loss", "duplicate", "reorder", "slow", "hold", "stale"}

// Generate builds the schedule for ids from seed. It uses its own random
// source derived from the seed, so the schedule does not depend on how many
// random numbers the protocol under test makes the network draw.
func (o RandomFaults) Generate(seed int64, ids []paxi.ID) []Action {
	rng := rand.New(rand.NewSource(seed*0x5DEECE66D + 11))
	n := len(ids)
	if o.MeanGap <= 0 {
		o.MeanGap = 500 * time.Millisecond
	}
	if o.MaxDown <= 0 {
		o.MaxDown = (n - 1) / 2
	}
	kinds := o.Kinds
	if len(kinds) == 0 {
		kinds = FaultKinds
	}
	var candidates []paxi.ID
	for _, id := range ids {
		if paxi.IndexOf(o.Avoid, id) < 0 {
			candidates = append(candidates, id)
		}
	}
	var out []Action
	at := func(t time.Duration, a Action) {
		a.At = t
		out = append(out, a)
	}
	downUntil := map[paxi.ID]time.Duration{}
	var partitionUntil, linksUntil, slowUntil time.Duration
	var holdsUntil []time.Duration // ends of the holds drawn, at most maxHolds at once
	var staleUntil time.Duration
	span := func(lo, hi time.Duration) time.Duration { return lo + time.Duration(rng.Int63n(int64(hi-lo))) }
	for t := time.Duration(rng.ExpFloat64() * float64(o.MeanGap)); t < o.Stop; t += time.Duration(rng.ExpFloat64() * float64(o.MeanGap)) {
		kind := kinds[rng.Intn(len(kinds))]
		end := min(t+span(200*time.Millisecond, 3*time.Second), o.Stop)
		if staleUntil > t {
			// The stale shape is a precise sequence: nothing else starts
			// while it runs.
			continue
		}
		switch kind {
		case "crash":
			down := 0
			for _, u := range downUntil {
				if u > t {
					down++
				}
			}
			if down >= o.MaxDown || len(candidates) == 0 {
				continue
			}
			id := candidates[rng.Intn(len(candidates))]
			if downUntil[id] > t {
				continue
			}
			crashAt := t
			if o.Quiesce > 0 {
				at(t, Action{StopClients: id})
				crashAt = t + o.Quiesce
				end = max(end, crashAt+100*time.Millisecond)
				if end > o.Stop {
					continue
				}
			}
			at(crashAt, Action{Crash: id})
			at(end, Action{Restart: id})
			if o.Quiesce > 0 {
				at(end, Action{StartClients: id})
			}
			downUntil[id] = end
		case "partition":
			if partitionUntil > t || n < 2 {
				continue
			}
			// A random split, kept away from the avoided replicas' side
			// being cut off: they all go to the first group.
			var a, b []paxi.ID
			for _, id := range ids {
				if paxi.IndexOf(o.Avoid, id) >= 0 || rng.Intn(2) == 0 {
					a = append(a, id)
				} else {
					b = append(b, id)
				}
			}
			if len(a) == 0 || len(b) == 0 {
				continue
			}
			at(t, Action{Partition: [][]paxi.ID{a, b}})
			at(end, Action{Heal: true})
			partitionUntil = end
		case "loss", "duplicate", "reorder":
			if linksUntil > t {
				continue
			}
			rule := &LinkRule{}
			switch kind {
			case "loss":
				rule.Drop = 0.1 + 0.8*rng.Float64()
				if rng.Intn(2) == 0 {
					// Asymmetric loss: one direction of one replica's links.
					id := ids[rng.Intn(n)]
					if rng.Intn(2) == 0 {
						rule.From = id
					} else {
						rule.To = id
					}
				}
			case "duplicate":
				rule.Duplicate = 0.1 + 0.5*rng.Float64()
			case "reorder":
				rule.Reorder = true
				rule.Delay = paxi.Duration(span(time.Millisecond, 50*time.Millisecond))
			}
			at(t, Action{Links: rule})
			at(end, Action{Links: &LinkRule{}})
			linksUntil = end
		case "cut":
			// Shares partitionUntil: a Heal ends both kinds.
			if partitionUntil > t {
				continue
			}
			if a, ok := o.drawCut(rng, ids, candidates); ok {
				at(t, Action{Cut: a})
				at(end, Action{Heal: true})
				partitionUntil = end
			}
		case "stale":
			if partitionUntil > t || linksUntil > t || slices.ContainsFunc(holdsUntil, func(u time.Duration) bool { return u > t }) {
				continue
			}
			down := false
			for _, u := range downUntil {
				down = down || u > t
			}
			if down {
				continue
			}
			if until := o.drawStale(rng, ids, candidates, t, at); until > 0 {
				partitionUntil, linksUntil, staleUntil = until, until, until
			}
		case "hold":
			holdsUntil = slices.DeleteFunc(holdsUntil, func(u time.Duration) bool { return u <= t })
			if len(holdsUntil) >= maxHolds {
				continue
			}
			if h, ok := o.drawHold(rng, ids, t); ok {
				at(t, Action{Hold: h})
				holdsUntil = append(holdsUntil, t+time.Duration(h.For))
			}
		case "slow":
			if slowUntil > t {
				continue
			}
			id := ids[rng.Intn(n)]
			at(t, Action{Slow: &SlowRule{Node: id, Extra: paxi.Duration(span(10*time.Microsecond, time.Millisecond))}})
			at(end, Action{Slow: &SlowRule{Node: id}})
			slowUntil = end
		}
	}
	at(o.Stop, Action{HealAll: true})
	sort.SliceStable(out, func(i, j int) bool { return out[i].At < out[j].At })
	return out
}

// FormatSchedule prints a schedule one action per line.
func FormatSchedule(actions []Action) string {
	var b strings.Builder
	for _, a := range actions {
		fmt.Fprintf(&b, "%v %v\n", a.At, a)
	}
	return b.String()
}
