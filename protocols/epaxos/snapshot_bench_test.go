package epaxos

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/transport"
)

// BenchmarkCheckpoint measures the event-loop pause of an EPaxos
// checkpoint: Checkpoint itself, and with the encoding of its records the
// node does on the event loop too (paxi/node/snapshot.go). The replica
// holds live instances executed and not forgotten (the worst case: a peer
// down holds forgetting back), each a batch of batch commands on keys of
// their own, so the conflict index has an entry per key:
//
//	go test -run '^$' -bench Checkpoint -benchtime 5x ./protocols/epaxos/
func BenchmarkCheckpoint(b *testing.B) {
	for _, held := range []int{10_000, 100_000} {
		r := heldReplica(b, held, 4)
		b.Run(fmt.Sprintf("instances=%d/records", held), func(b *testing.B) {
			for range b.N {
				if recs := r.Checkpoint(); len(recs) < held {
					b.Fatalf("%d records for %d instances", len(recs), held)
				}
			}
		})
		b.Run(fmt.Sprintf("instances=%d/encoded", held), func(b *testing.B) {
			var buf []byte
			for range b.N {
				size := 0
				for _, m := range r.Checkpoint() {
					var err error
					if buf, err = transport.Marshal(buf[:0], m); err != nil {
						b.Fatal(err)
					}
					size += len(buf)
				}
				b.ReportMetric(float64(size), "bytes")
			}
		})
	}
}

// heldReplica is replica 1 of 3 having committed and executed held
// instances of replica 2's row, with no progress report from anyone, so
// that it forgets none of them.
func heldReplica(b testing.TB, held, batch int) *Replica {
	ids := ids(3)
	r, err := New(paxi.Env{ID: ids[0], Peers: ids, Rand: rand.New(rand.NewSource(1))})
	if err != nil {
		b.Fatal(err)
	}
	for i := range int64(held) {
		cmds := make([]paxi.Command, batch)
		for k := range cmds {
			cmds[k] = put(uint64(k+1), uint64(i), fmt.Sprint("key", int(i)*batch+k))
		}
		r.Step(ids[1], &Commit{Row: 1, Inst: i, Seq: i, Deps: []int64{-1, i - 1, -1}, HasCmds: true, Cmds: cmds})
		r.Ready()
	}
	if got := r.exec.rows[1].executedUpTo; got != int64(held)-1 || r.rows.held() != int64(held) {
		b.Fatalf("executed up to %d, %d held; want %d", got, r.rows.held(), held)
	}
	return r
}
