package node

import (
	"log/slog"
	"net/http"
	"time"
)

// netTimeouts bound how long the front-ends wait on a client, so that
// connections trickling a byte now and then cannot pile up for ever (600 of
// them, a byte every 2 s each, used to hold on indefinitely).
type netTimeouts struct {
	clientIdle  time.Duration // binary port: silence allowed between frames
	clientFrame time.Duration // binary port: from a frame's first byte to its last
	httpHeader  time.Duration // HTTP: to read a request's headers
	httpRead    time.Duration // HTTP: to read a whole request, body included
	httpWrite   time.Duration // HTTP: to write a response
	httpIdle    time.Duration // HTTP: keep-alive between requests
}

// timeouts is what replicas use; tests shorten it (before Start, restoring
// it after Close) to watch slow connections being closed quickly.
//
// An idle binary client may wait ten minutes between commands, as a person
// at bin/cmd's prompt might; a frame, at most 16 MiB, has 30 s to arrive.
// HTTP writes get two minutes because /debug/pprof/profile and trace stream
// for their duration (30 s by default) and refuse one longer than this.
var timeouts = netTimeouts{
	clientIdle:  10 * time.Minute,
	clientFrame: 30 * time.Second,
	httpHeader:  10 * time.Second,
	httpRead:    time.Minute,
	httpWrite:   2 * time.Minute,
	httpIdle:    2 * time.Minute,
}

// newHTTPServer is the replica's HTTP server, with the timeouts above.
func (s *Server) newHTTPServer(log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           s.httpHandler(),
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ReadHeaderTimeout: timeouts.httpHeader,
		ReadTimeout:       timeouts.httpRead,
		WriteTimeout:      timeouts.httpWrite,
		IdleTimeout:       timeouts.httpIdle,
	}
}
