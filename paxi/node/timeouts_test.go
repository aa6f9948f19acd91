package node

import (
	"io"
	"net"
	"testing"
	"time"
)

// shortTimeouts shortens the front-end timeouts for one test; call it
// before starting servers, so that it is restored after they close.
func shortTimeouts(t *testing.T, tt netTimeouts) {
	saved := timeouts
	timeouts = tt
	t.Cleanup(func() { timeouts = saved })
}

// trickle writes b one byte every interval until the write fails (the
// test's cleanup closes c).
func trickle(c net.Conn, b []byte, interval time.Duration) {
	go func() {
		for i := 0; ; i++ {
			if _, err := c.Write(b[i%len(b) : i%len(b)+1]); err != nil {
				return
			}
			time.Sleep(interval)
		}
	}()
}

// closedWithin waits up to d for the replica to close c, and reports how
// long it took, or fails the test.
func closedWithin(t *testing.T, c net.Conn, d time.Duration, what string) time.Duration {
	t.Helper()
	start := time.Now()
	c.SetReadDeadline(start.Add(d))
	_, err := io.Copy(io.Discard, c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("%s: connection still open after %v", what, d)
	}
	return time.Since(start)
}

func TestSlowClientConnectionsAreClosed(t *testing.T) {
	shortTimeouts(t, netTimeouts{clientIdle: 400 * time.Millisecond, clientFrame: 150 * time.Millisecond,
		httpHeader: 150 * time.Millisecond, httpRead: time.Second, httpWrite: time.Second, httpIdle: time.Second})
	cfg := testConfig(t, 1, "unreplicated", "")
	startAll(t, cfg)
	r1, _ := cfg.Replica("1.1")
	dial := func(addr string) net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}

	t.Run("client port, mid-frame", func(t *testing.T) {
		// A header announcing 100 bytes, then a byte every 20 ms, each
		// well within the idle timeout.
		c := dial(r1.Client)
		c.Write([]byte{0, 0, 0, 100})
		trickle(c, []byte{0x80}, 20*time.Millisecond)
		closedWithin(t, c, 2*time.Second, "trickled frame")
	})
	t.Run("client port, between frames", func(t *testing.T) {
		// Silence is allowed longer than a frame, but not for ever.
		if took := closedWithin(t, dial(r1.Client), 3*time.Second, "idle"); took < 200*time.Millisecond {
			t.Fatalf("closed an idle connection after %v, before the idle timeout", took)
		}
	})
	t.Run("HTTP headers", func(t *testing.T) {
		c := dial(r1.HTTP)
		trickle(c, []byte("GET /status HTTP/1.1\r\nX-Slow: "), 20*time.Millisecond)
		closedWithin(t, c, 2*time.Second, "trickled headers")
	})
}
