package node

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
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
// for Prometheus, /status, and for the operator (see adminOnly)
// /admin/faults and /debug/pprof.
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
	if s.cfg.AdminAccess == paxi.AdminNone {
		return mux
	}
	// Profiles, so performance work starts from a measurement of the real
	// process; they and fault injection are for the operator only.
	admin := func(path string, h http.Handler) { mux.Handle(path, s.adminOnly(h)) }
	admin("/debug/pprof/", http.HandlerFunc(pprof.Index))
	admin("/debug/pprof/cmdline", http.HandlerFunc(pprof.Cmdline))
	admin("/debug/pprof/profile", http.HandlerFunc(pprof.Profile))
	admin("/debug/pprof/symbol", http.HandlerFunc(pprof.Symbol))
	admin("/debug/pprof/trace", http.HandlerFunc(pprof.Trace))
	if s.faults != nil {
		admin("/admin/faults", s.faults.AdminHandler(s.cfg.IDs()))
	}
	return mux
}

// adminOnly serves h to the clients admin_access allows: with "loopback",
// the default, only to those on this machine, so that a replica reachable
// from a network does not hand fault injection and profiles to it.
func (s *Server) adminOnly(h http.Handler) http.Handler {
	if s.cfg.AdminAccess == paxi.AdminAny {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			http.Error(w, "forbidden: admin and pprof are served to loopback clients only (set \"admin_access\": \"any\" in the config to change that)", http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
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
