package netutil

import (
	"errors"
	"log/slog"
	"net"
	"time"
)

// Pauses between failed Accepts: long enough not to spin while the process
// is out of file descriptors, short enough to serve again soon after some
// are freed. net/http backs off the same way.
const (
	minAcceptBackoff = 5 * time.Millisecond
	maxAcceptBackoff = time.Second
)

// Serve calls handle with every connection ln accepts, until ln is closed,
// done is closed, or handle returns false. Any other Accept error (EMFILE,
// ENFILE, ECONNABORTED) is logged and retried after a pause that doubles up
// to a second, so a listener survives running out of file descriptors.
func Serve(ln net.Listener, done <-chan struct{}, log *slog.Logger, handle func(net.Conn) bool) {
	backoff := time.Duration(0)
	for {
		c, err := ln.Accept()
		if err == nil {
			backoff = 0
			if !handle(c) {
				return
			}
			continue
		}
		select {
		case <-done:
			return
		default:
		}
		if errors.Is(err, net.ErrClosed) {
			return
		}
		backoff = min(max(2*backoff, minAcceptBackoff), maxAcceptBackoff)
		log.Error("accept failed, retrying", "addr", ln.Addr().String(), "err", err, "retry_in", backoff)
		t := time.NewTimer(backoff)
		select {
		case <-done:
			t.Stop()
			return
		case <-t.C:
		}
	}
}
