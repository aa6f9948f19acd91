package benchmark

import (
	"context"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agora-consensus/agora/paxi"
)

// stallProxy forwards TCP connections to addr and, when told, holds the
// replies back for a while: a server stall, as seen by its clients.
type stallProxy struct {
	ln    net.Listener
	until atomic.Int64 // unix ns until which replies are held
}

func newStallProxy(t *testing.T, addr string) *stallProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallProxy{ln: ln}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", addr)
			if err != nil {
				in.Close()
				continue
			}
			wg.Add(2)
			go func() { defer wg.Done(); io.Copy(out, in); out.Close() }()
			go func() { defer wg.Done(); p.copyHeld(in, out); in.Close() }()
		}
	}()
	return p
}

func (p *stallProxy) copyHeld(dst, src net.Conn) {
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		if d := time.Until(time.Unix(0, p.until.Load())); d > 0 {
			time.Sleep(d)
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// stallAt holds the replies for d from after from.
func (p *stallProxy) stallAt(from, d time.Duration) *time.Timer {
	return time.AfterFunc(from, func() { p.until.Store(time.Now().Add(d).UnixNano()) })
}

func (p *stallProxy) addrs() map[paxi.ID]string {
	return map[paxi.ID]string{"1.1": p.ln.Addr().String()}
}

func stallRun(t *testing.T, w Workload, stallFrom time.Duration) Result {
	t.Helper()
	l, err := StartLocal("unreplicated", 1, nil, "", false)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	p := newStallProxy(t, l.Addrs()["1.1"])
	defer p.stallAt(stallFrom, 200*time.Millisecond).Stop()
	r, err := Run(context.Background(), w, p.addrs())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", r)
	return r
}

func stallWorkload() Workload {
	w := DefaultWorkload()
	w.Duration, w.Warmup, w.Clients, w.Outstanding = paxi.Duration(2*time.Second), paxi.Duration(300*time.Millisecond), 1, 1
	return w
}

// TestStallShowsInOpenLoopP99: a 200 ms stall of the server inside the
// window. The closed-loop client waits it out with its one command: the
// stall is one sample (max, mean) and the p99 stays low. The open-loop
// client keeps its schedule, and the commands due during the stall count
// from when they were due: a tenth of the samples wait up to 200 ms, so
// p99 is near 200 ms.
func TestStallShowsInOpenLoopP99(t *testing.T) {
	closed := stallRun(t, stallWorkload(), 1*time.Second)
	if closed.Max < 150*time.Millisecond || closed.P99 > 50*time.Millisecond {
		t.Errorf("closed loop: max %v p99 %v, want the stall in the max only", closed.Max, closed.P99)
	}
	w := stallWorkload()
	w.Rate = 2000
	open := stallRun(t, w, 1*time.Second)
	if open.P99 < 120*time.Millisecond || open.P90 > 100*time.Millisecond {
		t.Errorf("open loop: p90 %v p99 %v, want p99 in the stall (about 180 ms) and p90 below it", open.P90, open.P99)
	}
	if open.Ops < 3000 || open.Ops > 5000 {
		t.Errorf("open loop at 2000/s for 2 s measured %d commands", open.Ops)
	}
}

// TestWarmupIsTrimmed: the same stall inside the warm-up is not measured:
// the commands due during it (answered inside the window) are left out.
func TestWarmupIsTrimmed(t *testing.T) {
	w := stallWorkload()
	w.Rate, w.Warmup = 2000, paxi.Duration(600*time.Millisecond)
	r := stallRun(t, w, 100*time.Millisecond)
	if r.Max > 100*time.Millisecond {
		t.Errorf("a command of the warm-up's stall was measured: max %v", r.Max)
	}
	if r.Ops < 3000 || r.Ops > 5000 || len(r.Per100ms) != 20 {
		t.Errorf("%d commands, %d buckets of 100 ms; want about 4000 in 20", r.Ops, len(r.Per100ms))
	}
}

// TestRequestsAndThinkTime: Paxi's N ends the run after exactly N
// measured commands; a think time bounds a closed-loop client's rate.
func TestRequestsAndThinkTime(t *testing.T) {
	l, err := StartLocal("unreplicated", 1, nil, "", false)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	w := stallWorkload()
	w.Requests, w.Duration, w.Outstanding = 700, paxi.Duration(10*time.Second), 8
	t0 := time.Now()
	r, err := Run(context.Background(), w, l.Addrs())
	if err != nil {
		t.Fatal(err)
	}
	if r.Ops != 700 || time.Since(t0) > 5*time.Second {
		t.Errorf("N=700: %d commands measured in %v", r.Ops, time.Since(t0))
	}
	w = stallWorkload()
	w.Duration, w.ThinkTime = paxi.Duration(time.Second), paxi.Duration(20*time.Millisecond)
	r, err = Run(context.Background(), w, l.Addrs())
	if err != nil {
		t.Fatal(err)
	}
	if r.Ops < 10 || r.Ops > 55 {
		t.Errorf("one client thinking 20 ms between commands did %d in 1 s, want at most 50", r.Ops)
	}
}
