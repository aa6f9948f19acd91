package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand"
	"net"
	"net/http"
	"path/filepath"
	"sync"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/storage"
	"github.com/agora-consensus/agora/paxi/transport"
)

// Server is one replica process's worth of parts: durable log, transport
// (wrapped for fault injection), the node, the binary client port and HTTP.
type Server struct {
	id      paxi.ID
	cfg     *paxi.Config
	log     *slog.Logger
	node    *Node
	metrics *Metrics
	store   storage.Storage
	tcp     *transport.TCP
	faults  *transport.Faulty
	clients net.Listener
	httpSrv *http.Server
	cancel  context.CancelFunc
	runErr  chan error
	wg      sync.WaitGroup

	connMu sync.Mutex
	conns  map[net.Conn]struct{}
}

// StorePath is where a replica keeps its durable log under dir.
func StorePath(dir string, id paxi.ID) string {
	return filepath.Join(dir, "replica-"+string(id)+".log")
}

// Start opens the replica's log, restores the protocol, and starts serving
// peers and clients on the addresses of the configuration.
func Start(cfg *paxi.Config, id paxi.ID, log *slog.Logger) (s *Server, err error) {
	me, ok := cfg.Replica(id)
	if !ok {
		return nil, fmt.Errorf("replica %s is not in the configuration", id)
	}
	if log == nil {
		log = slog.Default()
	}
	s = &Server{id: id, cfg: cfg, log: log, metrics: NewMetrics(), runErr: make(chan error, 1), conns: map[net.Conn]struct{}{}}
	defer func() {
		if err != nil {
			s.closeParts()
		}
	}()
	if cfg.StorageDir == "" {
		s.store = storage.NewMemory()
	} else {
		f, err := storage.OpenFile(StorePath(cfg.StorageDir, id), storage.FileOptions{NoSync: !cfg.FsyncEnabled(), Log: log})
		if err != nil {
			return nil, err
		}
		if n := f.Repaired(); n > 0 {
			log.Warn("repaired a torn tail of the durable log", "bytes_dropped", n)
		}
		s.store = f
	}
	peers := cfg.PeerAddrs()
	delete(peers, id)
	s.tcp, err = transport.NewTCP(id, me.Peer, peers, transport.TCPOptions{MaxFrame: cfg.MaxFrame, Logger: log, Observer: s.metrics.Observer(), Secret: []byte(cfg.ClusterSecret)})
	if err != nil {
		return nil, err
	}
	s.faults = transport.NewFaulty(s.tcp, id, rand.New(rand.NewSource(int64(id.Zone()<<8|id.Node()))))
	s.node, err = New(Options{Config: cfg, ID: id, Transport: s.faults, Storage: s.store, Log: log, Metrics: s.metrics})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	if me.Client != "" {
		if s.clients, err = net.Listen("tcp", me.Client); err != nil {
			return nil, err
		}
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.serveClients(ctx, s.clients) }()
	}
	if me.HTTP != "" {
		ln, err := net.Listen("tcp", me.HTTP)
		if err != nil {
			return nil, err
		}
		s.httpSrv = s.newHTTPServer(log)
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.httpSrv.Serve(ln) }()
	}
	go func() { s.runErr <- s.node.Run(ctx) }()
	log.Info("replica started", "id", string(id), "algorithm", cfg.Algorithm, "peer", me.Peer, "client", me.Client, "http", me.HTTP)
	return s, nil
}

// Node is the replica's runtime.
func (s *Server) Node() *Node { return s.node }

// Faults controls fault injection on this replica's links.
func (s *Server) Faults() *transport.Faulty { return s.faults }

// Wait blocks until the replica stops and returns why.
func (s *Server) Wait() error {
	err := <-s.runErr
	s.runErr <- err
	return err
}

// Close stops serving, ends the node loop and closes the log.
func (s *Server) Close() error {
	if s.cancel != nil {
		s.cancel()
	}
	if s.clients != nil {
		s.clients.Close()
	}
	if s.httpSrv != nil {
		s.httpSrv.Close()
	}
	s.connMu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.connMu.Unlock()
	var err error
	if s.node != nil {
		err = s.Wait()
	}
	s.wg.Wait()
	return errors.Join(err, s.closeParts())
}

func (s *Server) closeParts() error {
	var errs []error
	if s.faults != nil {
		errs = append(errs, s.faults.Close())
	} else if s.tcp != nil {
		errs = append(errs, s.tcp.Close())
	}
	if s.store != nil {
		errs = append(errs, s.store.Close())
	}
	return errors.Join(errs...)
}

func (s *Server) track(c net.Conn) {
	s.connMu.Lock()
	s.conns[c] = struct{}{}
	s.connMu.Unlock()
}

func (s *Server) untrack(c net.Conn) {
	s.connMu.Lock()
	delete(s.conns, c)
	s.connMu.Unlock()
}
