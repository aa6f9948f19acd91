package node

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/agora-consensus/agora/paxi/client"
)

func TestClientPortRefusesValuesOverTheLimitAndKeepsServing(t *testing.T) {
	cfg := testConfig(t, 1, "unreplicated", "")
	startAll(t, cfg)
	c := dialReplica(t, cfg, "1.1")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := c.Put(ctx, "big", strings.Repeat("v", MaxValueLen+1))
	if err == nil || !strings.Contains(err.Error(), "value longer than") {
		t.Fatalf("put of a value over the limit: want a 'value longer than' error, got %v", err)
	}
	if err := c.Put(ctx, "big", strings.Repeat("v", MaxValueLen)); err != nil {
		t.Fatalf("put of a value at the limit on the same connection: %v", err)
	}
	if v, err := c.Get(ctx, "big"); err != nil || len(v) != MaxValueLen {
		t.Fatalf("get big = %d bytes, %v; want the %d-byte value", len(v), err, MaxValueLen)
	}
}

// emfileListener fails its first n Accepts the way a process out of file
// descriptors does, then accepts normally.
type emfileListener struct {
	net.Listener
	n atomic.Int32
}

func (l *emfileListener) Accept() (net.Conn, error) {
	if l.n.Add(-1) >= 0 {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	return l.Listener.Accept()
}

func TestClientPortAcceptsAgainAfterRunningOutOfFileDescriptors(t *testing.T) {
	cfg := testConfig(t, 1, "unreplicated", "")
	s := startAll(t, cfg)[0]
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &emfileListener{Listener: inner}
	ln.n.Store(3)
	ctx, cancel := context.WithCancel(context.Background())
	s.wg.Add(1)
	go func() { defer s.wg.Done(); s.serveClients(ctx, ln) }()
	t.Cleanup(func() { cancel(); ln.Close() })

	c, err := client.Dial(inner.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pctx, pcancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer pcancel()
	if err := c.Put(pctx, "k", "v"); err != nil {
		t.Fatalf("client port after three EMFILE accepts: %v", err)
	}
}

// A burst of pipelined reads of 1 MiB values is answered in several reply
// frames: in one, 32 MiB of replies were over the frame limit and the
// client port closed the connection.
func TestClientPortCutsRepliesToTheFrame(t *testing.T) {
	cfg := testConfig(t, 1, "unreplicated", "")
	startAll(t, cfg)
	c := dialReplica(t, cfg, "1.1")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.Put(ctx, "big", strings.Repeat("v", MaxValueLen)); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 32)
	for range 32 {
		go func() {
			v, err := c.Get(ctx, "big")
			if err == nil && len(v) != MaxValueLen {
				err = fmt.Errorf("read %d bytes", len(v))
			}
			errs <- err
		}()
	}
	for range 32 {
		if err := <-errs; err != nil {
			t.Fatalf("one of 32 pipelined reads of a %d-byte value: %v", MaxValueLen, err)
		}
	}
}
