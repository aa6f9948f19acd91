package client

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/transport"
)

// ErrClosed is returned for commands outstanding when the connection closed.
var ErrClosed = errors.New("client: connection closed")

// maxFrame bounds what a client accepts from a replica.
const maxFrame = 64 << 20

// Client is one pipelined connection to one replica. It is safe for
// concurrent use: any number of goroutines may issue commands, and each
// command is answered through its own callback or call.
type Client struct {
	id   uint64
	conn net.Conn

	mu      sync.Mutex
	nextID  uint64         // last command id used
	pending pendingSet     // by command id
	queue   []paxi.Command // waiting for the writer
	spare   []paxi.Command // the writer's last batch, reused as the next queue
	wake    chan struct{}  // signals the writer
	corked  bool           // the reader is running callbacks; it signals the writer after them
	err     error          // set once the connection failed
	done    chan struct{}  // closed when both loops ended
}

// NewClientID returns a random client id below 1<<62. Replicas reserve ids
// from 1<<63 for their own HTTP front-ends, so the two never collide.
func NewClientID() uint64 {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return binary.LittleEndian.Uint64(b[:])&(1<<62-1) | 1
}

// Dial connects to a replica's client address.
func Dial(addr string) (*Client, error) {
	conn, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		return nil, err
	}
	c := &Client{
		id:   NewClientID(),
		conn: conn,
		wake: make(chan struct{}, 1),
		done: make(chan struct{}),
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); c.writeLoop() }()
	go func() { defer wg.Done(); c.readLoop() }()
	go func() { wg.Wait(); close(c.done) }()
	return c, nil
}

// ID is the client id stamped on every command.
func (c *Client) ID() uint64 { return c.id }

// Async issues a command and calls cb with its reply (from the client's
// reader goroutine, so cb must not block). ClientID and CommandID are filled
// in. It returns the command id used.
func (c *Client) Async(cmd paxi.Command, cb func(paxi.Reply, error)) uint64 {
	return c.async(cmd, waiter{cb: cb})
}

// AsyncTo issues a command whose reply goes to h with tag: Async without a
// closure per command. It returns the command id used (ids run 1, 2, ...
// on each client), or 0 if the connection had failed, in which case h was
// called already.
func (c *Client) AsyncTo(cmd paxi.Command, h Handler, tag int64) uint64 {
	return c.async(cmd, waiter{h: h, tag: tag})
}

func (c *Client) async(cmd paxi.Command, w waiter) uint64 {
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		w.call(paxi.Reply{}, time.Now(), err)
		return 0
	}
	c.nextID++
	cmd.ClientID, cmd.CommandID = c.id, c.nextID
	c.pending.put(cmd.CommandID, w)
	c.queue = append(c.queue, cmd)
	if !c.corked {
		c.signal()
	}
	c.mu.Unlock()
	return cmd.CommandID
}

// signal wakes the writer; c.mu must be held, which keeps the send from
// racing with fail closing the channel.
func (c *Client) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Do issues a command and waits for its reply. A reply carrying an error
// is returned as an error.
func (c *Client) Do(ctx context.Context, cmd paxi.Command) (paxi.Reply, error) {
	type result struct {
		r   paxi.Reply
		err error
	}
	ch := make(chan result, 1)
	id := c.Async(cmd, func(r paxi.Reply, err error) { ch <- result{r, err} })
	select {
	case res := <-ch:
		if res.err == nil && res.r.Err != "" {
			res.err = &ReplyError{Reply: res.r}
		}
		return res.r, res.err
	case <-ctx.Done():
		c.mu.Lock()
		c.pending.take(id)
		c.mu.Unlock()
		return paxi.Reply{}, ctx.Err()
	}
}

// ReplyError is a replica's refusal of a command.
type ReplyError struct{ Reply paxi.Reply }

func (e *ReplyError) Error() string {
	if e.Reply.Leader != "" {
		return fmt.Sprintf("%s (leader is %s)", e.Reply.Err, e.Reply.Leader)
	}
	return e.Reply.Err
}

// Get reads a key; an absent key reads as "".
func (c *Client) Get(ctx context.Context, key string) (string, error) {
	r, err := c.Do(ctx, paxi.Command{Op: paxi.Get, Key: key})
	return r.Value, err
}

// Put writes a key.
func (c *Client) Put(ctx context.Context, key, value string) error {
	_, err := c.Do(ctx, paxi.Command{Op: paxi.Put, Key: key, Value: value})
	return err
}

// Delete removes a key.
func (c *Client) Delete(ctx context.Context, key string) error {
	_, err := c.Do(ctx, paxi.Command{Op: paxi.Delete, Key: key})
	return err
}

// Close ends the connection; outstanding commands fail with ErrClosed.
func (c *Client) Close() error {
	c.fail(ErrClosed)
	<-c.done
	return nil
}

// writeLoop sends whatever is queued as one frame, so a burst of pipelined
// commands costs one write.
func (c *Client) writeLoop() {
	w := bufio.NewWriterSize(c.conn, 64<<10)
	var buf []byte
	var batch Batch
	for range c.wake {
		// The queue and the spare alternate, as in the replica's client
		// port: commands accumulate in one while the other is encoded.
		c.mu.Lock()
		if c.err != nil {
			c.mu.Unlock()
			return
		}
		clear(c.spare)
		batch.Commands, c.queue, c.spare = c.queue, c.spare[:0], nil
		c.mu.Unlock()
		if len(batch.Commands) == 0 {
			c.putSpare(batch.Commands)
			continue
		}
		var err error
		buf, err = transport.AppendFrame(buf[:0], &batch, maxFrame)
		c.putSpare(batch.Commands)
		if err == nil {
			_, err = w.Write(buf)
		}
		if err == nil {
			err = w.Flush()
		}
		if err != nil {
			c.fail(err)
			return
		}
	}
}

// putSpare hands the encoded batch's array back for the next queue.
func (c *Client) putSpare(cmds []paxi.Command) {
	c.mu.Lock()
	c.spare = cmds
	c.mu.Unlock()
}

// readLoop hands every reply to its callback. Commands the callbacks issue
// are sent together after the whole frame is handled, so a closed-loop
// caller refills its pipeline with one write per burst of replies rather
// than waking the writer for the first of them.
func (c *Client) readLoop() {
	fr := transport.NewFrameReader(c.conn, maxFrame)
	var cbs []waiter
	for {
		body, err := fr.Next()
		if err != nil {
			c.fail(err)
			return
		}
		at := time.Now()
		m, err := transport.Unmarshal(body)
		if err != nil {
			c.fail(err)
			return
		}
		rs, ok := m.(*Replies)
		if !ok {
			c.fail(fmt.Errorf("client: unexpected %s from replica", paxi.MessageName(m)))
			return
		}
		cbs = cbs[:0]
		c.mu.Lock()
		for _, r := range rs.Replies {
			w, _ := c.pending.take(r.CommandID)
			cbs = append(cbs, w)
		}
		c.corked = true
		c.mu.Unlock()
		for k, r := range rs.Replies {
			cbs[k].call(r, at, nil)
		}
		clear(cbs)
		c.mu.Lock()
		c.corked = false
		if len(c.queue) > 0 && c.err == nil {
			c.signal()
		}
		c.mu.Unlock()
	}
}

// fail records the first error, closes the connection and fails every
// outstanding command.
func (c *Client) fail(err error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = err
	pending := c.pending.all()
	close(c.wake)
	c.mu.Unlock()
	c.conn.Close()
	now := time.Now()
	for _, w := range pending {
		w.call(paxi.Reply{}, now, err)
	}
}
