package sim_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/sim"
)

// pingsDelivered lists, in delivery order, the (delivered, sent) times of
// the Pings delivered on the link 1.1 -> 2.1 in a trace.
func pingsDelivered(t *testing.T, trace string) [][2]time.Duration {
	t.Helper()
	var out [][2]time.Duration
	for _, line := range strings.Split(trace, "\n") {
		if !strings.Contains(line, "1.1 -> 2.1 simtest.echo.Ping") {
			continue
		}
		at, err := time.ParseDuration(strings.Fields(line)[0])
		sentField := line[strings.LastIndex(line, "(sent ")+len("(sent ") : len(line)-1]
		sent, err2 := time.ParseDuration(sentField)
		if err != nil || err2 != nil {
			t.Fatalf("cannot parse trace line %q", line)
		}
		out = append(out, [2]time.Duration{at, sent})
	}
	return out
}

func TestHoldDelaysOneMessageAndLetsLaterOnesPass(t *testing.T) {
	var b bytes.Buffer
	cfg := echoConfig(3)
	cfg.Trace = &b
	cfg.Duration = 1500 * time.Millisecond
	cfg.Workload.ClientsAt = map[paxi.ID]int{"1.1": 2, "2.1": 0, "3.1": 0}
	cfg.Schedule = []sim.Action{{Hold: &sim.HoldRule{From: "1.1", To: "2.1", Types: []string{"simtest.echo.Ping"}, Count: 1, For: paxi.Duration(time.Second)}}}
	res, err := sim.Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mustPass(t, res)
	if res.Held != 1 {
		t.Fatalf("held %d messages, want 1", res.Held)
	}
	pings := pingsDelivered(t, b.String())
	if len(pings) < 3 {
		t.Fatalf("only %d pings delivered on 1.1 -> 2.1", len(pings))
	}
	// The first Ping (sent at once) waits for the hold; the other client's
	// Pings, sent after it on the same link, arrive before it.
	var held, overtook int
	for _, p := range pings {
		switch {
		case p[0] >= time.Second && p[1] < 10*time.Millisecond:
			held++
		case p[0] < time.Second && p[1] > 0:
			overtook++
		}
	}
	if held != 1 || overtook == 0 {
		t.Fatalf("want one ping held past 1s and later ones overtaking it; deliveries (at, sent): %v", pings)
	}
}

func TestCutIsPartialAndHealEndsIt(t *testing.T) {
	// The echo ring: 1.1 pings 2.1, 2.1 pings 3.1, 3.1 pings 1.1. Cutting
	// 1.1 from 2.1 only blocks 1.1; 2.1 and 3.1 still reach everyone.
	cfg := echoConfig(3)
	cfg.Duration = 3 * time.Second
	cfg.Schedule = []sim.Action{
		{Cut: &sim.CutRule{Node: "1.1", Peers: []paxi.ID{"2.1"}}},
		{At: 2 * time.Second, Heal: true},
	}
	s := mustNew(t, cfg)
	s.Start()
	if err := s.RunFor(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	res := s.Check()
	if res.Sites[0].Count != 0 || res.Sites[1].Count == 0 || res.Sites[2].Count == 0 {
		t.Fatalf("want only CA blocked by the cut: %+v", res.Sites)
	}
	// The echo protocol never retransmits: fresh clients show the heal.
	s.StopClients("1.1")
	s.StartClients("1.1")
	if err := s.RunFor(time.Second); err != nil {
		t.Fatal(err)
	}
	if n := s.Answered(2*time.Second, s.Now()); n == 0 {
		t.Fatal("nothing answered after the heal")
	}
}

// TestRandomHoldsAndCutsHaveTheirShapes checks the schedules the random
// generator draws for holds and partial partitions: the same seed gives
// the same schedule, every shape of hold occurs, holds end by the stop and
// at most two are on at once, and cuts leave the avoided replica alone and
// are healed.
func TestRandomHoldsAndCutsHaveTheirShapes(t *testing.T) {
	ids := []paxi.ID{"1.1", "2.1", "3.1", "4.1", "5.1"}
	types := []string{"p.A", "p.B", "p.C"}
	shapes := map[string]int{}
	for seed := int64(1); seed <= 40; seed++ {
		f := sim.RandomFaults{Stop: 10 * time.Second, Kinds: []string{"hold", "cut"}, Avoid: []paxi.ID{"1.1"}, Types: types}
		sched := f.Generate(seed, ids)
		if again := f.Generate(seed, ids); !reflect.DeepEqual(sched, again) {
			t.Fatalf("seed %d: two schedules differ:\n%s\n%s", seed, sim.FormatSchedule(sched), sim.FormatSchedule(again))
		}
		var holdEnds []time.Duration
		cutOn := false
		for _, a := range sched {
			if a.At > f.Stop {
				t.Fatalf("seed %d: %v after the stop", seed, a)
			}
			switch {
			case a.Hold != nil:
				h := a.Hold
				end := a.At + time.Duration(h.For)
				if h.For <= 0 || end > f.Stop || h.From == "1.1" || h.From == h.To || len(h.Types) != 1 || !slices.Contains(types, h.Types[0]) {
					t.Fatalf("seed %d: bad hold %v", seed, a)
				}
				holdEnds = slices.DeleteFunc(holdEnds, func(e time.Duration) bool { return e <= a.At })
				holdEnds = append(holdEnds, end)
				if len(holdEnds) > 2 {
					t.Fatalf("seed %d: %d holds on at %v", seed, len(holdEnds), a.At)
				}
				switch {
				case h.Count == 1 && h.To != "":
					shapes["one message"]++
				case h.Count == 0 && h.To != "":
					shapes["a type on a link"]++
				case h.Count == 0 && h.To == "":
					shapes["a type from a replica"]++
				default:
					t.Fatalf("seed %d: hold of no known shape %v", seed, a)
				}
				if time.Duration(h.For) > 500*time.Millisecond {
					shapes["long"]++
				}
			case a.Cut != nil:
				c := a.Cut
				if cutOn || len(c.Peers) == 0 || c.Node == "1.1" || slices.Contains(c.Peers, "1.1") || slices.Contains(c.Peers, c.Node) {
					t.Fatalf("seed %d: bad cut %v (another on: %v)", seed, a, cutOn)
				}
				cutOn = true
				shapes["cut"]++
			case a.Heal || a.HealAll:
				cutOn = false
			}
		}
		if cutOn {
			t.Fatalf("seed %d: a cut is never healed", seed)
		}
	}
	for _, s := range []string{"one message", "a type on a link", "a type from a replica", "long", "cut"} {
		if shapes[s] == 0 {
			t.Errorf("no %s drawn in 40 seeds: %v", s, shapes)
		}
	}
}

func TestHoldAndCutActionsReadFromJSON(t *testing.T) {
	var acts []sim.Action
	src := `[{"at":"1s","hold":{"from":"1.1","to":"2.1","types":["multipaxos.CatchUp"],"count":1,"for":"3s"}},
		{"at":"2s","cut":{"node":"1.1","peers":["2.1","3.1"]}}]`
	if err := json.Unmarshal([]byte(src), &acts); err != nil {
		t.Fatal(err)
	}
	want := []sim.Action{
		{At: time.Second, Hold: &sim.HoldRule{From: "1.1", To: "2.1", Types: []string{"multipaxos.CatchUp"}, Count: 1, For: paxi.Duration(3 * time.Second)}},
		{At: 2 * time.Second, Cut: &sim.CutRule{Node: "1.1", Peers: []paxi.ID{"2.1", "3.1"}}},
	}
	if !reflect.DeepEqual(acts, want) {
		t.Fatalf("got %v, want %v", acts, want)
	}
	// A hold without a duration, or naming no replica, is refused.
	for _, bad := range []sim.Action{
		{Hold: &sim.HoldRule{From: "1.1"}},
		{Cut: &sim.CutRule{Node: "1.1", Peers: []paxi.ID{"9.1"}}},
	} {
		cfg := echoConfig(3)
		cfg.Schedule = []sim.Action{bad}
		if _, err := sim.New(cfg); err == nil {
			t.Errorf("schedule %v accepted", bad)
		}
	}
}

func TestProtocolMessagesListsTheProtocolsTypes(t *testing.T) {
	got := sim.ProtocolMessages("simtest.echo")
	want := []string{"simtest.echo.Done", "simtest.echo.Ping", "simtest.echo.Pong"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// TestRandomStaleShapeIsTheTargetedSequence checks the steps of the stale
// shape (see RandomFaults): a hold of everything Y sends X, with loss on
// X -> Y; a cut between X and Y; a partition of Y's minority from X's
// majority with X <-> Y losing only new messages; X -> Y reopened exactly
// when the hold ends; everything healed after that.
func TestRandomStaleShapeIsTheTargetedSequence(t *testing.T) {
	ids := []paxi.ID{"1.1", "2.1", "3.1", "4.1", "5.1"}
	shapes := 0
	for seed := int64(1); seed <= 30; seed++ {
		f := sim.RandomFaults{Stop: 10 * time.Second, Kinds: []string{"stale"}, Types: []string{"p.A"}}
		sched := f.Generate(seed, ids)
		if !reflect.DeepEqual(sched, f.Generate(seed, ids)) {
			t.Fatalf("seed %d: two schedules differ", seed)
		}
		for i := 0; i < len(sched); i++ {
			h := sched[i].Hold
			if h == nil {
				continue
			}
			shapes++
			x, y, t0 := h.To, h.From, sched[i].At
			release := t0 + time.Duration(h.For)
			if len(h.Types) != 0 || h.Count != 0 {
				t.Fatalf("seed %d: the stale hold must take every message Y sends X: %v", seed, sched[i])
			}
			var cutXY, partitioned, reopened, healed time.Duration
			var side []paxi.ID
			for _, a := range sched[i+1:] {
				if a.Hold != nil || healed > 0 {
					break // the next shape
				}
				switch {
				case a.Cut != nil && a.Cut.Node == x && slices.Equal(a.Cut.Peers, []paxi.ID{y}):
					cutXY = a.At
				case a.Cut != nil && a.At > cutXY && cutXY > 0:
					partitioned = a.At
					side = append(side, a.Cut.Node)
					if slices.Contains(a.Cut.Peers, y) || (a.Cut.Node != y && !slices.Contains(a.Cut.Peers, x)) {
						t.Fatalf("seed %d: cut %v does not split Y's side from X's", seed, a)
					}
				case a.Links != nil && a.Links.From == x && a.Links.To == y && a.Links.Drop == 0 && partitioned > 0:
					reopened = a.At
				case a.Heal && reopened > 0 && healed == 0:
					healed = a.At
				}
			}
			switch {
			case !(t0 < cutXY && cutXY < partitioned && partitioned < release && release <= healed):
				t.Fatalf("seed %d: steps out of order: hold %v, cut %v, partition %v, release %v, heal %v\n%s",
					seed, t0, cutXY, partitioned, release, healed, sim.FormatSchedule(sched))
			case reopened != release:
				t.Fatalf("seed %d: X -> Y reopens at %v, the hold ends at %v", seed, reopened, release)
			case len(side) != 2 || side[0] != y || slices.Contains(side, x):
				t.Fatalf("seed %d: Y's side is %v, want Y=%s and one other, without X=%s", seed, side, y, x)
			}
		}
	}
	if shapes < 10 {
		t.Fatalf("only %d stale shapes in 30 seeds", shapes)
	}
}
