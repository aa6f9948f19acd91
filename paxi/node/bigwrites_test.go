package node

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/client"
	"github.com/agora-consensus/agora/paxi/transport"
	_ "github.com/agora-consensus/agora/protocols/epaxos"
	_ "github.com/agora-consensus/agora/protocols/mencius"
	_ "github.com/agora-consensus/agora/protocols/multipaxos"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The largest command a client may send must fit many times in a message
// the protocols build (paxi.MessageBudget), and that budget in the frame
// the transport accepts: then no batch or reply, cut by the budget, is
// ever refused.
func TestValueLimitIsWellBelowTheMessageBudget(t *testing.T) {
	if paxi.DefaultMaxFrame != transport.DefaultMaxFrame {
		t.Fatalf("config's default frame %d differs from the transport's %d", paxi.DefaultMaxFrame, transport.DefaultMaxFrame)
	}
	if paxi.MessageBudget >= transport.DefaultMaxFrame {
		t.Fatalf("MessageBudget %d leaves no room for the envelope in the %d-byte frame", paxi.MessageBudget, transport.DefaultMaxFrame)
	}
	biggest := paxi.Command{Op: paxi.Put, Key: strings.Repeat("k", MaxKeyLen), Value: strings.Repeat("v", MaxValueLen),
		ClientID: math.MaxUint64, CommandID: math.MaxUint64}
	// What one more command adds to an encoded batch is what it costs on
	// the wire and in the log; CommandBytes must not undercount it.
	one, err := transport.Marshal(nil, &client.Batch{Commands: []paxi.Command{biggest}})
	if err != nil {
		t.Fatal(err)
	}
	two, err := transport.Marshal(nil, &client.Batch{Commands: []paxi.Command{biggest, biggest}})
	if err != nil {
		t.Fatal(err)
	}
	if enc := len(two) - len(one); enc > paxi.CommandBytes(biggest) {
		t.Fatalf("the largest command encodes to %d bytes, CommandBytes says %d", enc, paxi.CommandBytes(biggest))
	}
	reply := paxi.Reply{ClientID: math.MaxUint64, CommandID: math.MaxUint64, Value: biggest.Value, Err: strings.Repeat("e", 100), Leader: "65535.65535"}
	one, err = transport.Marshal(nil, &client.Replies{Replies: []paxi.Reply{reply}})
	if err != nil {
		t.Fatal(err)
	}
	two, err = transport.Marshal(nil, &client.Replies{Replies: []paxi.Reply{reply, reply}})
	if err != nil {
		t.Fatal(err)
	}
	if enc := len(two) - len(one); enc > paxi.ReplyBytes(reply) {
		t.Fatalf("the largest reply encodes to %d bytes, ReplyBytes says %d", enc, paxi.ReplyBytes(reply))
	}
	if n := paxi.MessageBudget / paxi.CommandBytes(biggest); n < 8 {
		t.Fatalf("only %d of the largest commands fit the message budget %d; want at least 8", n, paxi.MessageBudget)
	}
}

// droppedEncode matches a nonzero count of messages the transport dropped
// because they could not be encoded, oversized ones included.
var droppedEncode = regexp.MustCompile(`agora_messages_dropped_total\{[^}]*reason="encode"[^}]*\} [1-9]`)

// 64 concurrent writes of 1 MiB values, within the value limit, once made
// EPaxos build a 22 MB PreAccept and Multi-Paxos 25-39 MB Accepts, which
// the transport dropped on every retry: no conflicting command committed
// again. Every protocol must serve them, and serve small writes after.
func TestBurstOfBigWritesLeavesEveryProtocolServing(t *testing.T) {
	if testing.Short() {
		t.Skip("192 MiB of writes through three clusters")
	}
	requireDropCountedAs(t, droppedEncode)
	value := strings.Repeat("v", MaxValueLen)
	for _, algo := range []string{"epaxos", "multipaxos", "mencius"} {
		t.Run(algo, func(t *testing.T) {
			cfg := testConfig(t, 3, algo, "")
			startAll(t, cfg)
			var bases []string
			for _, id := range cfg.IDs() {
				r, _ := cfg.Replica(id)
				bases = append(bases, "http://"+r.HTTP)
			}
			// put reports whether the write was acknowledged; a 504 says only
			// that it took longer than the HTTP timeout, which a loaded
			// machine can make 64 MiB take, so the verdict is on what follows.
			put := func(base, key, v string) (bool, error) {
				req, _ := http.NewRequest(http.MethodPut, base+"/kv/"+key, strings.NewReader(v))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return false, err
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				switch resp.StatusCode {
				case http.StatusNoContent:
					return true, nil
				case http.StatusGatewayTimeout:
					return false, nil
				}
				return false, fmt.Errorf("PUT %s/kv/%s: %s %s", base, key, resp.Status, b)
			}
			// All on one key, so that every write conflicts with the others.
			start := time.Now()
			var acked atomic.Int32
			errs := make(chan error, 64)
			var wg sync.WaitGroup
			for i := range 64 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ok, err := put(bases[i%3], "big", value)
					if ok {
						acked.Add(1)
					}
					errs <- err
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			t.Logf("%d of 64 writes of 1 MiB acknowledged within the HTTP timeout, after %v", acked.Load(), time.Since(start).Round(time.Millisecond))
			// A stalled protocol never commits a write on the key again; a
			// slow one does within a minute.
			deadline := time.Now().Add(time.Minute)
			for i, base := range bases {
				for {
					ok, err := put(base, "big", fmt.Sprintf("small-%d", i))
					if err != nil {
						t.Fatal(err)
					}
					if ok {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("a small write on the key of the burst at %s did not commit for a minute", cfg.IDs()[i])
					}
				}
			}
			t.Logf("small writes committed at every replica %v after the burst began", time.Since(start).Round(time.Millisecond))
			for i, base := range bases {
				if m := droppedEncode.FindString(httpGet(t, base+"/metrics")); m != "" {
					t.Fatalf("%s dropped messages it could not send: %s", cfg.IDs()[i], m)
				}
			}
		})
	}
}

// requireDropCountedAs checks that re matches what /metrics shows after a
// message is dropped for failing to encode, so that the burst test's
// check of it could fail.
func requireDropCountedAs(t *testing.T, re *regexp.Regexp) {
	t.Helper()
	m := NewMetrics()
	m.Observer().Dropped("1.2", "epaxos.PreAccept", transport.DropEncode)
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if !re.MatchString(rec.Body.String()) {
		t.Fatalf("%v does not match a dropped message in /metrics:\n%s", re, rec.Body.String())
	}
}
