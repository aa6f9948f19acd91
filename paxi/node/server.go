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
	"syscall"

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
	lock    *storage.FileLock // the replica's lock in storage_dir, if any
	tcp     *transport.TCP
	faults  *transport.Faulty
	clients net.Listener
	httpLn  net.Listener
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
func Start(cfg *paxi.Config, id paxi.ID, log *slog.Logger) (*Server, error) {
	return StartWith(cfg, id, StartOptions{Log: log})
}

// StartOptions tune StartWith.
type StartOptions struct {
	Log *slog.Logger // nil: slog.Default()
	// Fresh lets a replica whose marker says it persisted records start
	// from a missing or empty log, as a new replica (bin/server -fresh).
	// Without it that start is refused: the replica would have forgotten
	// its votes and promises. It never discards a log that holds records.
	Fresh bool
}

// StartWith is Start with options. Every error it returns is one line that
// names the cause and what to do, and everything it took is released.
func StartWith(cfg *paxi.Config, id paxi.ID, o StartOptions) (*Server, error) {
	me, ok := cfg.Replica(id)
	if !ok {
		return nil, fmt.Errorf("replica %s is not in the configuration", id)
	}
	log := o.Log
	if log == nil {
		log = slog.Default()
	}
	s := &Server{id: id, cfg: cfg, log: log, metrics: NewMetrics(), runErr: make(chan error, 1), conns: map[net.Conn]struct{}{}}
	// s, not the nil result of a failed return, is what to clean up.
	if err := s.start(me, o.Fresh); err != nil {
		for _, ln := range []net.Listener{s.clients, s.httpLn} {
			if ln != nil {
				ln.Close()
			}
		}
		s.closeParts()
		return nil, err
	}
	return s, nil
}

func (s *Server) start(me paxi.ReplicaConfig, fresh bool) error {
	cfg, id, log := s.cfg, s.id, s.log
	noSync := !cfg.FsyncEnabled()
	var err error
	if cfg.StorageDir != "" {
		if s.lock, err = lockReplica(cfg.StorageDir, id, noSync); err != nil {
			return err
		}
	}
	// Bind every address before the log is read, so that a bad or busy
	// address fails with nothing else said or done.
	peers := cfg.PeerAddrs()
	delete(peers, id)
	s.tcp, err = transport.NewTCP(id, me.Peer, peers, transport.TCPOptions{MaxFrame: cfg.MaxFrame, Logger: log, Observer: s.metrics.Observer(), Secret: []byte(cfg.ClusterSecret)})
	if err != nil {
		return listenError(id, "peer", me.Peer, err)
	}
	if me.Client != "" {
		if s.clients, err = net.Listen("tcp", me.Client); err != nil {
			return listenError(id, "client", me.Client, err)
		}
	}
	if me.HTTP != "" {
		if s.httpLn, err = net.Listen("tcp", me.HTTP); err != nil {
			return listenError(id, "http", me.HTTP, err)
		}
	}
	if cfg.StorageDir == "" {
		s.store = storage.NewMemory()
	} else if s.store, err = openStore(cfg.StorageDir, id, cfg.Algorithm, fresh, noSync, log); err != nil {
		return err
	}
	s.faults = transport.NewFaulty(s.tcp, id, rand.New(rand.NewSource(int64(id.Zone()<<8|id.Node()))))
	for peer := range peers {
		s.faults.SetLinkDelay(peer, cfg.EmulatedDelay(id, peer))
	}
	s.node, err = New(Options{Config: cfg, ID: id, Transport: s.faults, Storage: s.store, Log: log, Metrics: s.metrics})
	if err != nil {
		return err
	}
	// Nothing can fail from here on, so the goroutines never need undoing.
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	if s.clients != nil {
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.serveClients(ctx, s.clients) }()
	}
	if s.httpLn != nil {
		s.httpSrv = s.newHTTPServer(log)
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.httpSrv.Serve(s.httpLn) }()
	}
	go func() { s.runErr <- s.node.Run(ctx) }()
	log.Info("replica started", "id", string(id), "algorithm", cfg.Algorithm, "peer", me.Peer, "client", me.Client, "http", me.HTTP)
	return nil
}

// listenError says which address of the configuration could not be bound
// and what to do about it.
func listenError(id paxi.ID, field, addr string, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("replica %s: %q address %s is in use by another process (is replica %s already running?): stop it, or change %q of replica %s in the configuration",
			id, field, addr, id, field, id)
	}
	return fmt.Errorf("replica %s: cannot listen on %q address %s (%v): fix %q of replica %s in the configuration", id, field, addr, err, field, id)
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
	if s.lock != nil {
		errs = append(errs, s.lock.Close()) // after the log, which it guards
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
