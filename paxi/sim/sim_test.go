package sim_test

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/sim"
	"github.com/agora-consensus/agora/paxi/sim/simtest"
)

// echoConfig is a run of the echo protocol, whose replicas do not
// replicate, so only linearizability is checked.
func echoConfig(n int) sim.Config {
	return sim.Config{
		Protocol: echoName,
		N:        n,
		Latency:  sim.WAN(n).Constant(),
		Duration: 2 * time.Second,
		Check:    sim.Checks{NoExecution: true, NoLiveness: true},
	}
}

func mustNew(t *testing.T, cfg sim.Config) *sim.Sim {
	t.Helper()
	s, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustPass(t *testing.T, res *sim.Result) {
	t.Helper()
	if res.Failed() {
		var b strings.Builder
		res.Report(&b)
		t.Fatalf("seed %d failed:\n%s", res.Seed, b.String())
	}
}

func TestLatencyFollowsMatrix(t *testing.T) {
	// A client at CA pings VA: client RTT inside CA plus the CA-VA RTT.
	cfg := echoConfig(5)
	cfg.Workload.ClientsAt = map[paxi.ID]int{"2.1": 0, "3.1": 0, "4.1": 0, "5.1": 0}
	res, err := sim.Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mustPass(t, res)
	m := sim.WAN(5)
	want := 2*m.Between(1, 1).Avg + m.Between(1, 2).Avg + m.Between(2, 1).Avg
	if ca := res.Sites[0]; ca.Count == 0 || ca.P50 != want || ca.Max != want {
		t.Fatalf("CA latency %+v, want every command to take %v", ca, want)
	}
}

func TestSampledLatencyStaysInRange(t *testing.T) {
	cfg := echoConfig(5)
	cfg.Latency = sim.WAN(5)
	cfg.Workload.ClientsAt = map[paxi.ID]int{"1.1": 0, "2.1": 0, "4.1": 0, "5.1": 0}
	res, err := sim.Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mustPass(t, res)
	// EU pings OR, one of the most variable pairs of the data set.
	m := sim.WAN(5)
	eu := res.Sites[2]
	lo := 2*m.Between(3, 3).Min + m.Between(3, 4).Min + m.Between(4, 3).Min
	hi := 2*m.Between(3, 3).Max + m.Between(3, 4).Max + m.Between(4, 3).Max
	if eu.Count < 10 || eu.P50 < lo || eu.Max > hi || eu.P50 == eu.Max {
		t.Fatalf("EU latency %+v, want spread within [%v, %v]", eu, lo, hi)
	}
	avg := 2*m.Between(3, 3).Avg + m.Between(3, 4).Avg + m.Between(4, 3).Avg
	if d := math.Abs(float64(eu.Mean - avg)); d > float64(2*time.Millisecond) {
		t.Fatalf("EU mean latency %v, want about %v", eu.Mean, avg)
	}
}

func TestSameSeedSameTrace(t *testing.T) {
	trace := func(seed int64) string {
		var b bytes.Buffer
		cfg := sim.Config{
			Protocol: simtest.Name, N: 3, Seed: seed, Latency: sim.WAN(3), Trace: &b,
			Duration: 3 * time.Second,
			Workload: sim.Workload{Clients: 2, Conflict: 0.5},
			Random:   &sim.RandomFaults{Stop: 2 * time.Second, Avoid: []paxi.ID{"1.1"}, MeanGap: 200 * time.Millisecond},
		}
		res, err := sim.Run(cfg)
		if err != nil {
			t.Fatal(err)
		}
		mustPass(t, res)
		return b.String()
	}
	a, b := trace(7), trace(7)
	if a != b {
		t.Fatalf("two runs of seed 7 differ (%d and %d bytes)", len(a), len(b))
	}
	if len(a) < 1000 || !strings.Contains(a, "fault:") {
		t.Fatalf("trace too short or without faults:\n%s", a)
	}
	if c := trace(8); c == a {
		t.Fatalf("seeds 7 and 8 give the same trace")
	}
}

func TestDifferentSeedsExploreDifferentSchedules(t *testing.T) {
	seen := map[string]int64{}
	for seed := int64(1); seed <= 5; seed++ {
		f := sim.RandomFaults{Stop: 10 * time.Second}
		sched := sim.FormatSchedule(f.Generate(seed, []paxi.ID{"1.1", "2.1", "3.1", "4.1", "5.1"}))
		if prev, dup := seen[sched]; dup {
			t.Fatalf("seeds %d and %d generate the same schedule:\n%s", prev, seed, sched)
		}
		seen[sched] = seed
	}
}

func TestRandomScheduleKeepsAtMostFDown(t *testing.T) {
	ids := []paxi.ID{"1.1", "2.1", "3.1", "4.1", "5.1"}
	for seed := int64(1); seed <= 50; seed++ {
		f := sim.RandomFaults{Stop: 20 * time.Second, MeanGap: 100 * time.Millisecond, Kinds: []string{"crash"}}
		down := map[paxi.ID]bool{}
		for _, a := range f.Generate(seed, ids) {
			switch {
			case a.Crash != "":
				down[a.Crash] = true
			case a.Restart != "":
				delete(down, a.Restart)
			case a.HealAll:
				down = map[paxi.ID]bool{}
			}
			if len(down) > 2 {
				t.Fatalf("seed %d: %d replicas down at %v", seed, len(down), a.At)
			}
			if a.At > f.Stop {
				t.Fatalf("seed %d: action %v after the stop", seed, a)
			}
		}
	}
}

func TestTotalLossBlocksAndHealResumes(t *testing.T) {
	cfg := echoConfig(3)
	cfg.Network.Faults = sim.LinkFaults{Drop: 1}
	s := mustNew(t, cfg)
	s.Start()
	if err := s.RunFor(time.Second); err != nil {
		t.Fatal(err)
	}
	if n := s.Answered(0, s.Now()); n != 0 {
		t.Fatalf("%d commands answered with every message lost", n)
	}
	s.ClearLinkFaults()
	// The echo protocol never retransmits: the first commands stay lost,
	// so only new clients would progress. Start some.
	for _, id := range s.IDs() {
		s.StopClients(id)
		s.StartClients(id)
	}
	if err := s.RunFor(time.Second); err != nil {
		t.Fatal(err)
	}
	if n := s.Answered(time.Second, s.Now()); n == 0 {
		t.Fatal("nothing answered after the loss ended")
	}
}

func TestAsymmetricLoss(t *testing.T) {
	// 1.1 pings 2.1 and 2.1 pings 3.1: losing 1.1->2.1 blocks only 1.1.
	cfg := echoConfig(3)
	cfg.Workload.ClientsAt = map[paxi.ID]int{"3.1": 0}
	s := mustNew(t, cfg)
	s.SetLinkFaults("1.1", "2.1", sim.LinkFaults{Drop: 1})
	res := s.RunAll()
	mustPass(t, res)
	if res.Sites[0].Count != 0 || res.Sites[1].Count == 0 {
		t.Fatalf("want CA blocked and VA running: %+v", res.Sites)
	}
}

func TestPartitionAndDuplicates(t *testing.T) {
	cfg := echoConfig(3)
	cfg.Network.Faults = sim.LinkFaults{Duplicate: 1}
	s := mustNew(t, cfg)
	s.Isolate("2.1")
	res := s.RunAll()
	mustPass(t, res)
	// 1.1 pings the isolated 2.1, 2.1 pings 3.1 across the cut; only 3.1,
	// which pings 1.1, runs, with every message delivered twice.
	if res.Sites[0].Count != 0 || res.Sites[1].Count != 0 || res.Sites[2].Count == 0 {
		t.Fatalf("want only EU running: %+v", res.Sites)
	}
	if res.Duplicated == 0 || res.Delivered < 2*uint64(res.Sites[2].Count) {
		t.Fatalf("want duplicates: %+v", res)
	}
}

func TestReorderBreaksFIFO(t *testing.T) {
	inOrder := func(reorder bool) bool {
		var b bytes.Buffer
		cfg := echoConfig(3)
		cfg.Latency = sim.WAN(3)
		cfg.Trace = &b
		cfg.Workload.Clients = 20
		cfg.Network.Faults = sim.LinkFaults{Reorder: reorder, Delay: paxi.Duration(20 * time.Millisecond)}
		res, err := sim.Run(cfg)
		if err != nil {
			t.Fatal(err)
		}
		mustPass(t, res)
		// Sent times of the messages delivered on 1.1 -> 2.1, in delivery order.
		var last string
		for _, line := range strings.Split(b.String(), "\n") {
			if !strings.Contains(line, "1.1 -> 2.1") {
				continue
			}
			sent := line[strings.LastIndex(line, "(sent "):]
			d1, _ := time.ParseDuration(strings.TrimSuffix(strings.TrimPrefix(sent, "(sent "), ")"))
			d0, _ := time.ParseDuration(last)
			if last != "" && d1 < d0 {
				return false
			}
			last = d1.String()
		}
		return true
	}
	if !inOrder(false) {
		t.Fatal("a FIFO link delivered out of order")
	}
	if inOrder(true) {
		t.Fatal("a reordering link delivered everything in order")
	}
}

func TestCrashLosesMemoryKeepsPersisted(t *testing.T) {
	cfg := echoConfig(3)
	s := mustNew(t, cfg)
	s.Start()
	if err := s.RunFor(time.Second); err != nil {
		t.Fatal(err)
	}
	before := s.Protocol("2.1").(*echo)
	if before.pings == 0 || before.pongs == 0 {
		t.Fatalf("2.1 saw no traffic: %+v", before)
	}
	persisted := len(s.Durable("2.1"))
	if persisted != before.pongs {
		t.Fatalf("2.1 persisted %d records for %d executions", persisted, before.pongs)
	}
	s.Crash("2.1")
	if s.Protocol("2.1") != nil || s.Up("2.1") {
		t.Fatal("crashed replica still has a protocol")
	}
	// Restart before the messages in flight to the old incarnation
	// arrive: they must be lost, not delivered to the new one.
	s.Restart("2.1")
	after := s.Protocol("2.1").(*echo)
	if after.restored != persisted || after.pings != 0 {
		t.Fatalf("restarted with %d records and %d pings, want %d and 0", after.restored, after.pings, persisted)
	}
	if err := s.RunFor(25 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if after.pings != 0 || after.pongs != 0 {
		t.Fatalf("new incarnation got %d pings and %d pongs sent to the old one", after.pings, after.pongs)
	}
	s.StopLoad()
	s.Settle(time.Second)
	res := s.Check()
	mustPass(t, res)
	// 2.1's clients died with it: their commands stay pending.
	pending := 0
	for _, o := range s.History() {
		if o.Pending() {
			pending++
		}
	}
	if pending == 0 {
		t.Fatal("no pending commands after a crash")
	}
}

func TestRestartRestoresState(t *testing.T) {
	cfg := sim.Config{
		Protocol: simtest.Name, N: 3, Seed: 3, Latency: sim.WAN(3), Duration: 4 * time.Second,
		Workload: sim.Workload{Clients: 3, Conflict: 0.5},
		Schedule: []sim.Action{{At: time.Second, Crash: "3.1"}, {At: 2 * time.Second, Restart: "3.1"}},
	}
	s := mustNew(t, cfg)
	res := s.RunAll()
	mustPass(t, res)
	logs := s.Logs()
	if len(logs) != 4 {
		t.Fatalf("want 4 execution logs (3.1 twice), got %d", len(logs))
	}
	primary, restarted := s.KV("1.1"), s.KV("3.1")
	if restarted.Applied() != primary.Applied() || restarted.Len() != primary.Len() {
		t.Fatalf("restarted replica applied %d commands (%d keys), primary %d (%d keys)",
			restarted.Applied(), restarted.Len(), primary.Applied(), primary.Len())
	}
	for _, o := range s.History() {
		a, _ := primary.Get(o.Key)
		b, _ := restarted.Get(o.Key)
		if a != b {
			t.Fatalf("key %s: primary has %q, restarted replica %q", o.Key, a, b)
		}
	}
}

func TestCPUSaturates(t *testing.T) {
	throughput := func(clients int) float64 {
		cfg := echoConfig(1)
		cfg.Latency = sim.LAN(1).Constant()
		cfg.CPU = sim.CPU{Message: 800 * time.Microsecond, Execute: 200 * time.Microsecond}
		cfg.Workload.Clients = clients
		res, err := sim.Run(cfg)
		if err != nil {
			t.Fatal(err)
		}
		mustPass(t, res)
		return res.Throughput
	}
	one, many, more := throughput(1), throughput(50), throughput(200)
	// 1ms of CPU per command caps a replica at 1000 commands/s.
	if one > 900 || many < 950 || many > 1001 || more > 1001 {
		t.Fatalf("throughput with 1, 50, 200 clients: %.0f, %.0f, %.0f; want under 900, then saturated at 1000", one, many, more)
	}
}

func TestSlowNodeQueues(t *testing.T) {
	latency := func(slow time.Duration) time.Duration {
		cfg := echoConfig(1)
		cfg.Latency = sim.LAN(1).Constant()
		cfg.Workload.Clients = 10
		s := mustNew(t, cfg)
		s.SetSlow("1.1", slow)
		res := s.RunAll()
		mustPass(t, res)
		return res.All.P50
	}
	if fast, slow := latency(0), latency(time.Millisecond); slow < fast+5*time.Millisecond {
		t.Fatalf("median latency %v with a slow node, %v without; want queueing", slow, fast)
	}
}

func TestCodecRoundTripCatchesUnregistered(t *testing.T) {
	type unregistered struct{}
	codec := func(m paxi.Message) (paxi.Message, error) {
		if _, ok := paxi.MessageOf(m); !ok {
			return nil, &codecError{m}
		}
		return m, nil
	}
	cfg := echoConfig(3)
	cfg.Codec = codec
	res, err := sim.Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mustPass(t, res)

	cfg.Protocol = "simtest-unregistered"
	paxi.Register(cfg.Protocol, func(env paxi.Env) (paxi.Protocol, error) {
		return &sender{Outbox: paxi.NewOutbox(env.ID, env.Peers), msg: &unregistered{}}, nil
	})
	res, err = sim.Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Err == nil || !strings.Contains(res.Err.Error(), "unregistered") {
		t.Fatalf("want a codec failure, got %v", res.Err)
	}
}

type codecError struct{ m paxi.Message }

func (e *codecError) Error() string { return "unregistered " + paxi.MessageName(e.m) }

// sender broadcasts one message per proposal.
type sender struct {
	paxi.Outbox
	msg paxi.Message
}

func (p *sender) Propose(paxi.Request)       { p.Broadcast(p.msg) }
func (p *sender) Step(paxi.ID, paxi.Message) {}
func (p *sender) Tick()                      {}

func TestProtocolPanicIsReported(t *testing.T) {
	paxi.Register("simtest-panics", func(env paxi.Env) (paxi.Protocol, error) {
		return &panicker{Outbox: paxi.NewOutbox(env.ID, env.Peers)}, nil
	})
	res, err := sim.Run(sim.Config{Protocol: "simtest-panics", Seed: 42})
	if err != nil {
		t.Fatal(err)
	}
	if res.Err == nil || !strings.Contains(res.Err.Error(), "broken invariant") || !res.Failed() {
		t.Fatalf("want the panic as the run's error, got %v", res.Err)
	}
}

type panicker struct{ paxi.Outbox }

func (p *panicker) Propose(paxi.Request)       { panic("broken invariant") }
func (p *panicker) Step(paxi.ID, paxi.Message) {}
func (p *panicker) Tick()                      {}

func TestChecksCatchBuggyProtocols(t *testing.T) {
	for _, tc := range []struct {
		bug, want string
		faults    sim.LinkFaults
	}{
		{"swap_order", "execution order", sim.LinkFaults{}},
		{"local_reads", "not linearizable", sim.LinkFaults{}},
		{"no_retransmit", "liveness", sim.LinkFaults{Drop: 0.2}},
	} {
		t.Run(tc.bug, func(t *testing.T) {
			cfg := sim.Config{
				Protocol: simtest.Name, N: 3, Seed: 1, Latency: sim.WAN(3), Duration: 3 * time.Second,
				Params:   []byte(`{"bug":"` + tc.bug + `"}`),
				Workload: sim.Workload{Clients: 3, Keys: 2, Conflict: 1},
				Network:  sim.Network{Faults: tc.faults},
				Check:    sim.Checks{Liveness: 5 * time.Second},
			}
			if tc.bug == "swap_order" {
				cfg.Workload.Writes = 1
			}
			s := mustNew(t, cfg)
			s.Start()
			if err := s.RunFor(2 * time.Second); err != nil {
				t.Fatal(err)
			}
			s.ClearLinkFaults()
			res := s.RunAll()
			if !strings.Contains(strings.Join(res.Failures(), "\n"), tc.want) {
				var b strings.Builder
				res.Report(&b)
				t.Fatalf("want a %q failure:\n%s", tc.want, b.String())
			}
		})
	}
}

func TestBandwidthSerializesLinks(t *testing.T) {
	latency := func(bw float64) time.Duration {
		cfg := echoConfig(3)
		cfg.Workload.ClientsAt = map[paxi.ID]int{"2.1": 0, "3.1": 0}
		cfg.Network.Bandwidth = bw
		res, err := sim.Run(cfg)
		if err != nil {
			t.Fatal(err)
		}
		mustPass(t, res)
		return res.Sites[0].P50
	}
	// 100-byte messages at 10 kB/s take 10ms each way on the wire.
	if fast, slow := latency(0), latency(10_000); slow != fast+20*time.Millisecond {
		t.Fatalf("median %v with 10 kB/s links, %v unlimited; want 20ms more", slow, fast)
	}
}
