package chaos

import (
	"context"
	"fmt"
	"math/rand"
	"sync"
	"sync/atomic"
	"time"

	"github.com/agora-consensus/agora/checker"
	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/client"
)

// Load is the closed-loop workload: each client has one operation in
// flight, on one of a few hot keys.
type Load struct {
	Clients   int           // spread round-robin over the replicas
	Keys      int           // hot keys k0..k<Keys-1>
	Writes    float64       // fraction of operations that are puts
	OpTimeout time.Duration // an operation unanswered this long is left pending
	Seed      int64
}

// loadStats counts what the clients saw besides the history.
type loadStats struct {
	failed   atomic.Int64 // operations that got an error or no reply (recorded pending)
	failover atomic.Int64 // times a client moved to another replica
}

// key names hot key i.
func key(i int) string { return fmt.Sprintf("k%d", i) }

// runLoad runs l against the replicas (client addresses in ids order) until
// stop is closed, recording every operation in rec with times in
// nanoseconds since origin. An operation that fails or times out is left
// pending in the history (it may or may not have taken effect) and the
// client fails over to the next replica. abort cancels operations in flight.
func runLoad(abort context.Context, stop <-chan struct{}, addrs []string, l Load, tag string,
	rec *checker.Recorder, origin time.Time, st *loadStats) {
	var wg sync.WaitGroup
	for i := 0; i < l.Clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runClient(abort, stop, addrs, l, tag, i, rec, origin, st)
		}()
	}
	wg.Wait()
}

func runClient(abort context.Context, stop <-chan struct{}, addrs []string, l Load, tag string, i int,
	rec *checker.Recorder, origin time.Time, st *loadStats) {
	rng := rand.New(rand.NewSource(l.Seed*7919 + int64(i)))
	target := i % len(addrs)
	var c *client.Client
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	stopped := func() bool {
		select {
		case <-stop:
			return true
		case <-abort.Done():
			return true
		default:
			return false
		}
	}
	for seq := 0; !stopped(); {
		if c == nil {
			var err error
			if c, err = client.Dial(addrs[target]); err != nil {
				c = nil
				target = (target + 1) % len(addrs)
				st.failover.Add(1)
				select {
				case <-stop:
				case <-abort.Done():
				case <-time.After(50 * time.Millisecond):
				}
				continue
			}
		}
		seq++
		cmd := paxi.Command{Op: paxi.Get, Key: key(rng.Intn(l.Keys))}
		op := "get"
		if rng.Float64() < l.Writes {
			cmd.Op, cmd.Value, op = paxi.Put, fmt.Sprintf("%s-%d-%d", tag, i, seq), "put"
		}
		h := rec.Invoke(i, op, cmd.Key, cmd.Value, time.Since(origin).Nanoseconds())
		ctx, cancel := context.WithTimeout(abort, l.OpTimeout)
		r, err := c.Do(ctx, cmd)
		cancel()
		if err == nil {
			rec.Return(h, r.Value, time.Since(origin).Nanoseconds())
			continue
		}
		// Unknown outcome: the operation stays pending, and the client
		// moves on to another replica (its own may be dead or stuck).
		st.failed.Add(1)
		st.failover.Add(1)
		c.Close()
		c = nil
		target = (target + 1) % len(addrs)
	}
}

// FinalRead is what one replica answered for one key after the run.
type FinalRead struct {
	Replica paxi.ID `json:"replica"`
	Key     string  `json:"key"`
	Value   string  `json:"value"`
	Err     string  `json:"error,omitempty"`
}

// finalReads reads every key on every replica, one after the other, and
// records each read in rec as client 1000+replica index, so that the
// linearizability check covers what the cluster holds at the end.
func finalReads(ctx context.Context, ids []paxi.ID, addrs []string, keys int, timeout time.Duration,
	rec *checker.Recorder, origin time.Time) []FinalRead {
	var out []FinalRead
	for r, addr := range addrs {
		c, err := client.Dial(addr)
		for k := 0; k < keys; k++ {
			fr := FinalRead{Replica: ids[r], Key: key(k)}
			if err != nil {
				fr.Err = err.Error()
				out = append(out, fr)
				continue
			}
			h := rec.Invoke(1000+r, "get", fr.Key, "", time.Since(origin).Nanoseconds())
			cctx, cancel := context.WithTimeout(ctx, timeout)
			v, gerr := c.Get(cctx, fr.Key)
			cancel()
			if gerr != nil {
				fr.Err = gerr.Error()
			} else {
				fr.Value = v
				rec.Return(h, v, time.Since(origin).Nanoseconds())
			}
			out = append(out, fr)
		}
		if c != nil {
			c.Close()
		}
	}
	return out
}
