package transport

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agora-consensus/agora/paxi"
)

// The throughput benchmarks push small messages from a sender to a receiver
// over loopback TCP and count what arrives. The receiver acknowledges with
// a running count, and the sender keeps at most benchWindow messages
// unacknowledged, as a protocol's bounded pipeline would; without that the
// sender would outrun the bounded queues and measure drops instead.
const (
	benchWindow   = 32768
	benchAckEvery = 4096
	benchSender   = paxi.ID("1.1")
	benchReceiver = paxi.ID("1.2")
	// childEnv, when set, makes TestBenchmarkReceiverChild act as the
	// receiving process of BenchmarkTCPTwoProcesses; its value is the
	// sender's address.
	childEnv = "AGORA_TRANSPORT_BENCH_SENDER"
)

// benchMessage is the small message of the throughput benchmarks: an accept
// of one 16-byte put, about 70 bytes on the wire.
func benchMessage(i int) *Small {
	return &Small{Ballot: 3, Slot: int64(i), Command: paxi.Command{Op: paxi.Put, Key: "key-000000000042", Value: "val-000000000042", ClientID: 7, CommandID: uint64(i)}}
}

// BenchmarkTCPOneProcess measures messages per second between two TCP
// transports in one process, so sender, receiver and both kernels' loopback
// work share the machine's cores.
func BenchmarkTCPOneProcess(b *testing.B) {
	lns, addrs := listeners(b, benchSender, benchReceiver)
	quiet := TCPOptions{Logger: slog.New(slog.DiscardHandler)}
	sender := startTCP(b, benchSender, lns[benchSender], addrs, quiet)
	receiver := startTCP(b, benchReceiver, lns[benchReceiver], addrs, quiet)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		receive(receiver, stop)
	}()
	runSender(b, sender)
	close(stop)
	<-done
}

// BenchmarkTCPTwoProcesses measures messages per second from this process to
// a child process (this test binary re-executed as the receiver), the way
// two replicas exchange messages.
func BenchmarkTCPTwoProcesses(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchmarkReceiverChild$")
	cmd.Env = append(os.Environ(), childEnv+"="+ln.Addr().String())
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close() // tells the child to exit
	out := bufio.NewScanner(stdout)
	var childAddr string
	for out.Scan() {
		if a, ok := strings.CutPrefix(out.Text(), "listening on "); ok {
			childAddr = a
			break
		}
	}
	if childAddr == "" {
		b.Fatal("child receiver did not report its address")
	}
	go io.Copy(io.Discard, stdout)
	addrs := map[paxi.ID]string{benchSender: ln.Addr().String(), benchReceiver: childAddr}
	sender := startTCP(b, benchSender, ln, addrs, TCPOptions{Logger: slog.New(slog.DiscardHandler)})
	runSender(b, sender)
}

// TestBenchmarkReceiverChild is the receiving process of
// BenchmarkTCPTwoProcesses; run normally, it does nothing.
func TestBenchmarkReceiverChild(t *testing.T) {
	senderAddr := os.Getenv(childEnv)
	if senderAddr == "" {
		t.Skip("only runs as the child of BenchmarkTCPTwoProcesses")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addrs := map[paxi.ID]string{benchSender: senderAddr, benchReceiver: ln.Addr().String()}
	receiver := startTCP(t, benchReceiver, ln, addrs, TCPOptions{Logger: slog.New(slog.DiscardHandler)})
	fmt.Printf("listening on %s\n", ln.Addr())
	stop := make(chan struct{})
	go func() {
		io.Copy(io.Discard, os.Stdin)
		close(stop)
	}()
	receive(receiver, stop)
}

// receive counts messages and acknowledges every benchAckEvery of them, and
// whenever it has caught up, until stop is closed.
func receive(tr Transport, stop <-chan struct{}) {
	var count, acked uint64
	for {
		select {
		case e := <-tr.Inbox():
			if _, ok := e.Msg.(*Small); !ok {
				continue
			}
			count++
			if count-acked >= benchAckEvery || len(tr.Inbox()) == 0 {
				tr.Send(paxi.Envelope{From: benchReceiver, To: benchSender, Msg: &Ack{Count: count}})
				acked = count
			}
		case <-stop:
			return
		}
	}
}

// runSender sends b.N messages within the window and waits until all are
// acknowledged. Counts are cumulative over the receiver's life, because the
// benchmark function runs several times against the same receiver.
func runSender(b *testing.B, tr Transport) {
	var acked atomic.Uint64
	ackCh := make(chan struct{}, 1)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case e := <-tr.Inbox():
				if a, ok := e.Msg.(*Ack); ok {
					acked.Store(a.Count)
					select {
					case ackCh <- struct{}{}:
					default:
					}
				}
			case <-stop:
				return
			}
		}
	}()
	defer func() {
		close(stop)
		<-done
	}()

	// Wait for the connection with one message, outside the measurement.
	waitAcked := func(n uint64) {
		deadline := time.After(30 * time.Second)
		for acked.Load() < n {
			select {
			case <-ackCh:
			case <-deadline:
				b.Fatalf("receiver acknowledged %d of %d messages", acked.Load(), n)
			}
		}
	}
	for acked.Load() == 0 {
		tr.Send(paxi.Envelope{From: benchSender, To: benchReceiver, Msg: benchMessage(0)})
		select {
		case <-ackCh:
		case <-time.After(100 * time.Millisecond):
		}
	}
	base := acked.Load()
	frame, _ := appendFrame(nil, benchMessage(1<<20), DefaultMaxFrame)
	b.SetBytes(int64(len(frame)))
	b.ResetTimer()
	for i := range b.N {
		for uint64(i)-(acked.Load()-base) >= benchWindow {
			<-ackCh
		}
		tr.Send(paxi.Envelope{From: benchSender, To: benchReceiver, Msg: benchMessage(i)})
	}
	waitAcked(base + uint64(b.N))
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
