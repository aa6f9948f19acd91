// Command server runs one replica:
//
//	server -id 1.1 -algorithm epaxos -config config.json
//
// Both -flag value (Paxi's habit) and --flag=value are accepted. A replica
// whose log went missing or empty after it had persisted records refuses to
// start (it has forgotten its votes); -fresh starts it as a new replica.
package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/agora-consensus/agora/internal/cli"
	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/node"
	_ "github.com/agora-consensus/agora/protocols/all"
	"github.com/spf13/pflag"
)

func main() { os.Exit(run(os.Args[1:], os.Stderr)) }

func run(args []string, stderr io.Writer) int {
	fs := pflag.NewFlagSet("server", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	id := fs.String("id", "", "this replica's id, zone.node (e.g. 1.1)")
	algorithm := fs.String("algorithm", "", "protocol to run; overrides the config's algorithm ("+fmt.Sprint(paxi.Names())+")")
	configPath := fs.String("config", "config.json", "cluster configuration file")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	fresh := fs.Bool("fresh", false, "start as a new replica although this one persisted records before and its log is now missing or empty (it has forgotten its votes)")
	if err := cli.Parse(fs, args); err != nil {
		return 2
	}
	log, err := cli.Logger(*logLevel)
	if err != nil {
		fmt.Fprintln(stderr, "server:", err)
		return 2
	}
	cfg, err := paxi.LoadConfig(*configPath)
	if err != nil {
		fmt.Fprintln(stderr, "server:", err)
		return 2
	}
	if *algorithm != "" {
		cfg.Algorithm = *algorithm
	}
	if _, err := paxi.Lookup(cfg.Algorithm); err != nil {
		fmt.Fprintln(stderr, "server: config: algorithm:", err)
		return 2
	}
	rid, err := paxi.ParseID(*id)
	if err != nil {
		fmt.Fprintln(stderr, "server: -id:", err)
		return 2
	}
	if _, ok := cfg.Replica(rid); !ok {
		fmt.Fprintf(stderr, "server: -id: replica %s is not in %s\n", rid, *configPath)
		return 2
	}
	// Catch signals before the ports open: a SIGTERM sent once the client
	// port accepts must stop the replica cleanly, not kill it mid-start.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	srv, err := node.StartWith(cfg, rid, node.StartOptions{Log: log, Fresh: *fresh})
	if err != nil {
		fmt.Fprintln(stderr, "server:", err)
		return 1
	}
	stopped := make(chan error, 1)
	go func() { stopped <- srv.Wait() }()
	select {
	case s := <-sig:
		log.Info("stopping", "signal", s.String())
		if err := srv.Close(); err != nil {
			log.Error("stopped with an error", "err", err)
			return 1
		}
		return 0
	case err := <-stopped:
		srv.Close()
		if err != nil {
			log.Error("replica stopped", "err", err)
			return 1
		}
		return 0
	}
}
