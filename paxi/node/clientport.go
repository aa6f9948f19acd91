package node

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"

	"github.com/agora-consensus/agora/internal/netutil"
	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/client"
	"github.com/agora-consensus/agora/paxi/transport"
)

// serveClients accepts binary-protocol clients until the listener closes.
// Accept errors such as running out of file descriptors are retried with
// backoff, as the peer listener does.
func (s *Server) serveClients(ctx context.Context, ln net.Listener) {
	netutil.Serve(ln, ctx.Done(), s.log, func(conn net.Conn) bool {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serveClient(ctx, conn)
		}()
		return true
	})
}

// clientConn is one binary client connection: a reader that submits
// batches to the node, and a writer that returns replies in batches.
type clientConn struct {
	conn    net.Conn
	mu      sync.Mutex
	replies []paxi.Reply
	wake    chan struct{}
	closed  bool
}

func (s *Server) serveClient(ctx context.Context, conn net.Conn) {
	cc := &clientConn{conn: conn, wake: make(chan struct{}, 1)}
	s.track(conn)
	defer s.untrack(conn)
	done := make(chan struct{})
	go func() {
		cc.writeLoop(s.cfg.MaxFrame)
		close(done)
	}()
	err := cc.readLoop(ctx, s)
	switch {
	case err == nil || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || ctx.Err() != nil:
	case errors.Is(err, transport.ErrIdleTimeout):
		s.log.Debug("closing idle client connection", "remote", conn.RemoteAddr().String(), "err", err)
	default:
		s.log.Warn("closing client connection", "remote", conn.RemoteAddr().String(), "err", err)
	}
	cc.close()
	<-done
	conn.Close()
}

// batchBuf is a decoded batch and the callback that recycles it.
type batchBuf struct {
	b    client.Batch
	done func() // clears b and offers it back to its connection's reader
}

// batchesPerConn is how many decoded batches of one connection may wait for
// the node at once before the reader allocates fresh ones.
const batchesPerConn = 4

func (cc *clientConn) readLoop(ctx context.Context, s *Server) error {
	fr := transport.NewFrameReader(cc.conn, s.cfg.MaxFrame)
	fr.SetTimeouts(cc.conn, timeouts.clientIdle, timeouts.clientFrame)
	// Batches are decoded into arrays the node hands back once it has
	// proposed their commands (protocols copy what they keep), so a
	// connection at full speed decodes without allocating them anew.
	free := make(chan *batchBuf, batchesPerConn)
	for {
		body, err := fr.Next()
		if err != nil {
			return err
		}
		var bb *batchBuf
		select {
		case bb = <-free:
			bb.b.Commands = bb.b.Commands[:0]
		default:
			bb = &batchBuf{}
			bb.done = func() {
				clear(bb.b.Commands)
				select {
				case free <- bb:
				default:
				}
			}
		}
		b := &bb.b
		if err := transport.UnmarshalInto(body, b); err != nil {
			return err
		}
		cmds := b.Commands[:0]
		for _, c := range b.Commands {
			if err := validCommand(c); err != nil {
				cc.reply(paxi.Reply{ClientID: c.ClientID, CommandID: c.CommandID, Err: err.Error()})
				continue
			}
			cmds = append(cmds, c)
		}
		if len(cmds) == 0 {
			bb.done()
			continue
		}
		if err := s.node.submit(ctx, submission{cmds: cmds, reply: cc.reply, done: bb.done}); err != nil {
			return err
		}
	}
}

// validCommand rejects what no protocol should see: client commands are
// gets, puts and deletes of a non-empty key, named by a non-zero command id,
// with keys and values within the limits HTTP enforces too.
func validCommand(c paxi.Command) error {
	switch {
	case c.Op != paxi.Get && c.Op != paxi.Put && c.Op != paxi.Delete:
		return errors.New("bad command: op must be get, put or delete")
	case c.Key == "":
		return errors.New("bad command: empty key")
	case len(c.Key) > MaxKeyLen:
		return errors.New("bad command: key longer than 1024 bytes")
	case len(c.Value) > MaxValueLen:
		return fmt.Errorf("bad command: value longer than 1 MiB (%d bytes, limit %d)", len(c.Value), MaxValueLen)
	case c.ClientID == 0 || c.CommandID == 0:
		return errors.New("bad command: client and command ids must be non-zero")
	}
	return nil
}

// reply queues an answer; called from the node goroutine, so it never blocks.
func (cc *clientConn) reply(r paxi.Reply) {
	cc.mu.Lock()
	if !cc.closed {
		cc.replies = append(cc.replies, r)
		select {
		case cc.wake <- struct{}{}:
		default:
		}
	}
	cc.mu.Unlock()
}

func (cc *clientConn) close() {
	cc.mu.Lock()
	if !cc.closed {
		cc.closed = true
		close(cc.wake)
	}
	cc.mu.Unlock()
}

// writeLoop sends every queued reply in one frame per wake-up, so replies to
// a pipelined client cost one write per burst.
func (cc *clientConn) writeLoop(maxFrame int) {
	w := bufio.NewWriterSize(cc.conn, 64<<10)
	var buf []byte
	var spare []paxi.Reply
	for range cc.wake {
		// Two buffers alternate: replies accumulate in one while the other
		// is encoded. The taken one must always become the spare, even
		// when empty, or both names end up on one array and new replies
		// overwrite a batch being encoded.
		cc.mu.Lock()
		batch := cc.replies
		cc.replies = spare[:0]
		cc.mu.Unlock()
		spare = batch
		if len(batch) == 0 {
			continue
		}
		// In frames of at most paxi.MessageBudget bytes of replies: a burst
		// of pipelined reads of 1 MiB values is more than one frame holds.
		var err error
		for rest := batch; err == nil && len(rest) > 0; {
			k := replyCut(rest)
			buf, err = transport.AppendFrame(buf[:0], &client.Replies{Replies: rest[:k]}, maxFrame)
			if err == nil {
				_, err = w.Write(buf)
			}
			rest = rest[k:]
		}
		if err == nil {
			err = w.Flush()
		}
		if err != nil {
			cc.conn.Close()
			return
		}
	}
}

// replyCut is how many replies from the front of rs make one frame: at
// most paxi.MessageBudget bytes, and at least one.
func replyCut(rs []paxi.Reply) int {
	b := paxi.NewBudget(0)
	for i := range rs {
		if !b.Take(paxi.ReplyBytes(rs[i])) {
			return i
		}
	}
	return len(rs)
}
