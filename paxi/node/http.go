package node

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/pprof"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/agora-consensus/agora/paxi"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// MaxKeyLen and MaxValueLen bound what clients may store.
const (
	MaxKeyLen   = 1024
	MaxValueLen = 1 << 20
)

// httpTimeout bounds how long an HTTP request waits for its command to
// execute; a stalled cluster answers 504 rather than hanging the caller.
const httpTimeout = 10 * time.Second

// httpFront is the HTTP face of a replica: /kv/{key} for people, /metrics
// for Prometheus, /status, and /admin/faults when fault injection is on.
type httpFront struct {
	s        *Server
	clientID uint64        // HTTP commands share one client id per replica
	nextID   atomic.Uint64 // command ids of that client
}

func (s *Server) httpHandler() http.Handler {
	h := &httpFront{s: s, clientID: 1<<63 | uint64(s.id.Zone())<<8 | uint64(s.id.Node())}
	mux := http.NewServeMux()
	mux.HandleFunc("/kv/", h.kv)
	mux.Handle("/metrics", promhttp.HandlerFor(s.metrics.Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("/status", h.status)
	// Profiles, so performance work starts from a measurement of the real process.
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	if s.faults != nil {
		mux.Handle("/admin/faults", s.faults.AdminHandler(s.cfg.IDs()))
	}
	return mux
}

// ParseKeyPath extracts and validates the key of a /kv/{key} path.
func ParseKeyPath(path string) (string, error) {
	const prefix = "/kv/"
	if len(path) < len(prefix) || path[:len(prefix)] != prefix {
		return "", errors.New("path must be /kv/{key}")
	}
	key := path[len(prefix):]
	switch {
	case key == "":
		return "", errors.New("empty key")
	case len(key) > MaxKeyLen:
		return "", errors.New("key longer than 1024 bytes")
	case !utf8.ValidString(key):
		return "", errors.New("key is not valid UTF-8")
	}
	return key, nil
}

func (h *httpFront) kv(w http.ResponseWriter, r *http.Request) {
	key, err := ParseKeyPath(r.URL.Path)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	cmd := paxi.Command{Key: key, ClientID: h.clientID, CommandID: h.nextID.Add(1)}
	switch r.Method {
	case http.MethodGet:
		cmd.Op = paxi.Get
	case http.MethodDelete:
		cmd.Op = paxi.Delete
	case http.MethodPut, http.MethodPost:
		cmd.Op = paxi.Put
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxValueLen))
		if err != nil {
			http.Error(w, "value too large (limit 1 MiB)", http.StatusRequestEntityTooLarge)
			return
		}
		cmd.Value = string(body)
	default:
		w.Header().Set("Allow", "GET, PUT, DELETE")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), httpTimeout)
	defer cancel()
	done := make(chan paxi.Reply, 1)
	if err := h.s.node.Submit(ctx, []paxi.Command{cmd}, func(rep paxi.Reply) { done <- rep }); err != nil {
		http.Error(w, "replica busy: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	select {
	case rep := <-done:
		switch {
		case rep.Err != "" && rep.Leader != "":
			w.Header().Set("X-Agora-Leader", string(rep.Leader))
			http.Error(w, rep.Err, http.StatusServiceUnavailable)
		case rep.Err != "":
			http.Error(w, rep.Err, http.StatusInternalServerError)
		case cmd.Op == paxi.Get:
			io.WriteString(w, rep.Value)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	case <-ctx.Done():
		http.Error(w, "timed out waiting for the command to execute", http.StatusGatewayTimeout)
	}
}

func (h *httpFront) status(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"id":        h.s.id,
		"algorithm": h.s.cfg.Algorithm,
		"peers":     h.s.cfg.IDs(),
		"executed":  h.s.node.ExecutedCount(),
	})
}
