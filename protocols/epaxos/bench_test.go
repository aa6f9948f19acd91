package epaxos

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/agora-consensus/agora/paxi"
)

// benchNet passes messages between in-process replicas directly (no codec,
// no copies), first in, first out, and counts executed commands. Persisted
// records are produced but dropped: the benchmark measures the protocol
// core, not storage or the network.
type benchNet struct {
	reps     []*Replica
	ids      []paxi.ID
	q        []paxi.Envelope
	head     int
	executed []int
}

func newBenchNet(b testing.TB, n int, params string) *benchNet {
	net := &benchNet{ids: ids(n), reps: make([]*Replica, n), executed: make([]int, n)}
	for i := range net.reps {
		var raw []byte
		if params != "" {
			raw = []byte(params)
		}
		r, err := New(paxi.Env{ID: net.ids[i], Peers: net.ids, Params: raw, Rand: rand.New(rand.NewSource(int64(i)))})
		if err != nil {
			b.Fatal(err)
		}
		net.reps[i] = r
	}
	return net
}

func (net *benchNet) ready(i int) {
	rd := net.reps[i].Ready()
	net.q = append(net.q, rd.Messages...)
	net.executed[i] += len(rd.Execute)
}

func (net *benchNet) drain() {
	for net.head < len(net.q) {
		e := net.q[net.head]
		net.q[net.head] = paxi.Envelope{}
		net.head++
		to := paxi.IndexOf(net.ids, e.To)
		net.reps[to].Step(e.From, e.Msg)
		net.ready(to)
	}
	net.q, net.head = net.q[:0], 0
}

// BenchmarkThroughput measures commands committed and executed at every
// replica per second of CPU, all replicas in one goroutine. Each round,
// every replica proposes batch commands (one instance each), then all
// messages are delivered; the replicas' instances of a round are
// concurrent, so conflicting commands take the slow path as they would
// under load. conflict is the percentage of commands that write one shared
// key; the others write keys of their own replica.
func BenchmarkThroughput(b *testing.B) {
	for _, n := range []int{3, 5} {
		for _, conflict := range []int{0, 2, 25, 100} {
			for _, batch := range []int{1, 100} {
				b.Run(fmt.Sprintf("n=%d/conflict=%d%%/batch=%d", n, conflict, batch), func(b *testing.B) {
					benchThroughput(b, n, conflict, batch, "")
				})
			}
		}
	}
}

func benchThroughput(b *testing.B, n, conflict, batch int, params string) {
	const keysPerReplica = 1 << 14
	rng := rand.New(rand.NewSource(1))
	keys := make([][]string, n)
	for i := range keys {
		keys[i] = make([]string, keysPerReplica)
		for k := range keys[i] {
			keys[i][k] = fmt.Sprintf("r%d-k%d", i, k)
		}
	}
	net := newBenchNet(b, n, params)
	var id uint64
	proposed := 0
	b.ReportAllocs()
	b.ResetTimer()
	for proposed < b.N {
		for i, r := range net.reps {
			for range batch {
				id++
				key := keys[i][id%keysPerReplica]
				if rng.Intn(100) < conflict {
					key = "hot"
				}
				r.Propose(paxi.Request{Command: paxi.Command{Op: paxi.Put, Key: key, Value: "v", ClientID: uint64(i + 1), CommandID: id}})
			}
			net.ready(i)
			proposed += batch
		}
		net.drain()
	}
	b.StopTimer()
	for i, got := range net.executed {
		if got != proposed {
			b.Fatalf("replica %d executed %d of %d commands", i, got, proposed)
		}
	}
	var fast, slow int64
	for _, r := range net.reps {
		c := r.Counters()
		fast += c.FastPaths
		slow += c.SlowPaths
	}
	b.ReportMetric(float64(proposed)/b.Elapsed().Seconds(), "cmds/s")
	b.ReportMetric(float64(slow)/float64(fast+slow), "slow/inst")
}

// BenchmarkExecutor measures the executor alone: commit one instance and
// execute whatever becomes executable, on three synthetic graph shapes.
func BenchmarkExecutor(b *testing.B) {
	const rows = 5
	shapes := []struct {
		name string
		deps func(row int32, i int64) []int64
	}{
		// No dependencies: every commit executes at once.
		{"independent", func(row int32, i int64) []int64 { return []int64{-1, -1, -1, -1, -1} }},
		// Each instance depends on the previous instance of every row, as
		// under 100% conflicts with replicas taking turns.
		{"chain", func(row int32, i int64) []int64 {
			d := []int64{i, i, i, i, i}
			for q := row; q < rows; q++ {
				d[q] = i - 1
			}
			return d
		}},
		// Each instance depends on the same-numbered instance of every row:
		// every round of five is one strongly connected component.
		{"cycles-of-5", func(row int32, i int64) []int64 { return []int64{i, i, i, i, i} }},
	}
	for _, sh := range shapes {
		b.Run(sh.name, func(b *testing.B) {
			e := newExecutor(rows, nopApplier{})
			b.ReportAllocs()
			for k := 0; k < b.N; k++ {
				row, i := int32(k%rows), int64(k/rows)
				e.commit(row, i, int64(k), sh.deps(row, i))
			}
			b.StopTimer()
			if e.stats.executed < int64(b.N)-rows {
				b.Fatalf("executed %d of %d", e.stats.executed, b.N)
			}
			b.ReportMetric(float64(e.stats.executed)/float64(e.stats.components), "scc-size")
		})
	}
}

type nopApplier struct{}

func (nopApplier) apply(int32, int64) {}

// BenchmarkConflictIndex measures computing and recording the attributes of
// a batch of 100 writes, as a leader does for a new instance.
func BenchmarkConflictIndex(b *testing.B) {
	for _, keys := range []int{1, 1000, 100000} {
		b.Run(fmt.Sprintf("keys=%d", keys), func(b *testing.B) {
			c := newConflictIndex(5)
			names := make([]string, keys)
			for k := range names {
				names[k] = fmt.Sprintf("key-%d", k)
			}
			batch := make([]paxi.Command, 100)
			deps := make([]int64, 5)
			b.ReportAllocs()
			for k := 0; k < b.N; k++ {
				for j := range batch {
					batch[j] = paxi.Command{Op: paxi.Put, Key: names[(k*100+j)%keys]}
				}
				for q := range deps {
					deps[q] = -1
				}
				var seq int64
				st := c.lookup(batch)
				attributes(batch, st, &seq, deps)
				record(batch, st, int32(k%5), int64(k), seq)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100), "ns/cmd")
		})
	}
}
