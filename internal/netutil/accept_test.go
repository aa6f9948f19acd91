package netutil

import (
	"io"
	"log/slog"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// emfileListener fails its first n Accepts the way a process out of file
// descriptors does, then accepts normally.
type emfileListener struct {
	net.Listener
	n     atomic.Int32
	calls atomic.Int32
}

func (l *emfileListener) Accept() (net.Conn, error) {
	l.calls.Add(1)
	if l.n.Add(-1) >= 0 {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	return l.Listener.Accept()
}

func TestServeRetriesAfterEMFILEAndStopsWhenClosed(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &emfileListener{Listener: inner}
	ln.n.Store(4)
	got := make(chan net.Conn, 1)
	var callsAtHandover atomic.Int32
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		Serve(ln, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), func(c net.Conn) bool {
			callsAtHandover.Store(ln.calls.Load())
			got <- c
			return true
		})
	}()
	c, err := net.Dial("tcp", inner.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	select {
	case s := <-got:
		s.Close()
	case <-time.After(2 * time.Second):
		t.Fatalf("no connection handed over after 4 EMFILE errors (%d Accept calls)", ln.calls.Load())
	}
	if n := callsAtHandover.Load(); n != 5 {
		t.Fatalf("Accept called %d times; want 4 failures and 1 success", n)
	}
	ln.Close()
	select {
	case <-stopped:
	case <-time.After(2 * time.Second):
		t.Fatal("Serve did not return after the listener closed")
	}
}

func TestServeStopsWhenDoneCloses(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer inner.Close()
	ln := &emfileListener{Listener: inner}
	ln.n.Store(1 << 30) // fails for ever: Serve sits in its backoff
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		Serve(ln, done, slog.New(slog.NewTextHandler(io.Discard, nil)), func(net.Conn) bool { return true })
	}()
	for ln.calls.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	close(done)
	select {
	case <-stopped:
	case <-time.After(2 * time.Second):
		t.Fatal("Serve did not return after done closed")
	}
}
