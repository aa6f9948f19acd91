package transport

import (
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agora-consensus/agora/paxi"
)

// checkLeaks fails the test if goroutines started by this package outlive
// it. Call it first in a test, so its cleanup runs after every other one.
func checkLeaks(t testing.TB) {
	t.Helper()
	t.Cleanup(func() {
		var leaked []string
		eventually(t, 5*time.Second, func() bool {
			leaked = packageGoroutines()
			return len(leaked) == 0
		}, func() string { return "leaked goroutines:\n\n" + strings.Join(leaked, "\n\n") })
	})
}

// packageGoroutines lists the stacks of goroutines created by non-test code
// of this package.
func packageGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		_, creator, ok := strings.Cut(g, "created by ")
		if !ok || !strings.Contains(creator, "agora/paxi/transport.") {
			continue
		}
		if strings.Contains(creator, "transport.Test") || strings.Contains(creator, "transport.Benchmark") || strings.Contains(creator, "transport.Fuzz") {
			continue
		}
		out = append(out, g)
	}
	return out
}

// eventually polls cond until it holds or the deadline passes; it is the
// only way these tests wait for asynchronous network events.
func eventually(t testing.TB, timeout time.Duration, cond func() bool, msg func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v: %s", timeout, msg())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// recv returns the next envelope from tr, failing the test after timeout.
func recv(t testing.TB, tr Transport, timeout time.Duration) paxi.Envelope {
	t.Helper()
	select {
	case e, ok := <-tr.Inbox():
		if !ok {
			t.Fatal("inbox closed")
		}
		return e
	case <-time.After(timeout):
		t.Fatalf("nothing received within %v", timeout)
	}
	return paxi.Envelope{}
}

// noRecv fails the test if tr delivers anything within d.
func noRecv(t testing.TB, tr Transport, d time.Duration) {
	t.Helper()
	select {
	case e := <-tr.Inbox():
		t.Fatalf("unexpected delivery %+v", e)
	case <-time.After(d):
	}
}

// listeners opens one loopback listener per id, so every address is known
// before any transport starts.
func listeners(t testing.TB, ids ...paxi.ID) (map[paxi.ID]net.Listener, map[paxi.ID]string) {
	t.Helper()
	lns := map[paxi.ID]net.Listener{}
	addrs := map[paxi.ID]string{}
	for _, id := range ids {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns[id] = ln
		addrs[id] = ln.Addr().String()
	}
	return lns, addrs
}

// startTCP starts a transport on ln and closes it when the test ends.
func startTCP(t testing.TB, self paxi.ID, ln net.Listener, addrs map[paxi.ID]string, opts TCPOptions) *TCP {
	t.Helper()
	opts.Listener = ln
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	tr, err := NewTCP(self, "", addrs, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

// countingObserver counts what a transport reports.
type countingObserver struct {
	mu       sync.Mutex
	sent     int
	received int
	bytesIn  int
	bytesOut int
	dropped  map[DropReason]int
}

func (o *countingObserver) Sent(to paxi.ID, kind string, bytes int) {
	o.mu.Lock()
	o.sent++
	o.bytesOut += bytes
	o.mu.Unlock()
}

func (o *countingObserver) Received(from paxi.ID, kind string, bytes int) {
	o.mu.Lock()
	o.received++
	o.bytesIn += bytes
	o.mu.Unlock()
}

func (o *countingObserver) Dropped(to paxi.ID, kind string, reason DropReason) {
	o.mu.Lock()
	if o.dropped == nil {
		o.dropped = map[DropReason]int{}
	}
	o.dropped[reason]++
	o.mu.Unlock()
}

func (o *countingObserver) drops(r DropReason) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.dropped[r]
}
