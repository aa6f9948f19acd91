package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/agora-consensus/agora/internal/netutil"
	"github.com/agora-consensus/agora/paxi/client"
)

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// serverBinary builds bin/server once per test binary: the start-up errors
// must be checked on the real process, whose panic the issue reported.
func serverBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds bin/server; paxi/node's tests cover the same errors in-process")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "agora-server-test")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "server")
		if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binary != "" {
		os.RemoveAll(filepath.Dir(binary))
	}
	os.Exit(code)
}

// clusterFile writes a one-replica configuration and returns its path and
// the replica's peer and client addresses.
func clusterFile(t *testing.T, dir, algorithm, params string) (path, peer, clientAddr string) {
	t.Helper()
	a, err := netutil.FreeLoopbackAddrs(2)
	if err != nil {
		t.Fatal(err)
	}
	js := fmt.Sprintf(`{"replicas":[{"id":"1.1","peer":%q,"client":%q}],"algorithm":%q,"params":%s,"storage_dir":%q,"tick":"5ms"}`,
		a[0], a[1], algorithm, params, filepath.Join(dir, "state"))
	path = filepath.Join(dir, algorithm+".json")
	if err := os.WriteFile(path, []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, a[0], a[1]
}

// mustFail runs the server, which must exit non-zero at once with one
// line on stderr that contains every one of want, and no panic.
func mustFail(t *testing.T, want []string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stderr bytes.Buffer
	p := exec.CommandContext(ctx, serverBinary(t), append(args, "-log-level", "warn")...)
	p.Stderr = &stderr
	err := p.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() <= 0 {
		t.Fatalf("server %q: %v, want a non-zero exit; stderr:\n%s", args, err, stderr.String())
	}
	out := stderr.String()
	if strings.Contains(out, "panic") || strings.Count(out, "\n") != 1 {
		t.Fatalf("server %q: want one line on stderr, got:\n%s", args, out)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("server %q: stderr %q lacks %q", args, out, w)
		}
	}
}

// running starts the server and waits until its client port accepts; the
// returned function stops it with SIGTERM and wants a clean exit.
func running(t *testing.T, clientAddr string, args ...string) (stop func()) {
	t.Helper()
	var stderr bytes.Buffer
	p := exec.Command(serverBinary(t), append(args, "-log-level", "warn")...)
	p.Stderr = &stderr
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- p.Wait() }()
	stopped := false
	// A test that fails before it calls stop must not leave the process
	// running.
	t.Cleanup(func() {
		if !stopped {
			p.Process.Kill()
			<-exited
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		if c, err := net.Dial("tcp", clientAddr); err == nil {
			c.Close()
			break
		}
		select {
		case err := <-exited:
			stopped = true
			t.Fatalf("server %q exited: %v\n%s", args, err, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("server %q does not listen on %s\n%s", args, clientAddr, stderr.String())
		}
	}
	return func() {
		t.Helper()
		stopped = true
		p.Process.Signal(syscall.SIGTERM)
		if err := <-exited; err != nil {
			t.Fatalf("server %q stopped with %v\n%s", args, err, stderr.String())
		}
	}
}

func put(t *testing.T, addr string) {
	t.Helper()
	c, err := client.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Put(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
}

// Each start-up error the issue lists, on the real binary: exit non-zero
// with one line naming the cause and what to do, never a panic.
func TestServerStartupErrorsAreOneLine(t *testing.T) {
	t.Run("port in use", func(t *testing.T) {
		cfg, peer, _ := clusterFile(t, t.TempDir(), "unreplicated", "{}")
		ln, err := net.Listen("tcp", peer)
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		mustFail(t, []string{peer, "in use"}, "-id", "1.1", "-config", cfg)
	})
	t.Run("bad address", func(t *testing.T) {
		cfg := filepath.Join(t.TempDir(), "config.json")
		js := `{"replicas":[{"id":"1.1","peer":"127.0.0.1:0","client":"127.0.0.1:99999"}],"algorithm":"unreplicated"}`
		if err := os.WriteFile(cfg, []byte(js), 0o644); err != nil {
			t.Fatal(err)
		}
		mustFail(t, []string{"127.0.0.1:99999", `fix "client"`}, "-id", "1.1", "-config", cfg)
	})
	t.Run("unknown param", func(t *testing.T) {
		cfg, _, _ := clusterFile(t, t.TempDir(), "epaxos", `{"thrify":true}`)
		mustFail(t, []string{`"thrify"`, "thrifty", `fix "params"`}, "-id", "1.1", "-config", cfg)
	})
	t.Run("corrupt log", func(t *testing.T) {
		dir := t.TempDir()
		cfg, _, addr := clusterFile(t, dir, "unreplicated", "{}")
		stop := running(t, addr, "-id", "1.1", "-config", cfg)
		put(t, addr)
		put(t, addr)
		stop()
		log := filepath.Join(dir, "state", "replica-1.1.log")
		b, err := os.ReadFile(log)
		if err != nil {
			t.Fatal(err)
		}
		b[len("AGORALG1")+12+2] ^= 0xff
		os.WriteFile(log, b, 0o644)
		mustFail(t, []string{log, "corrupt", "restore the log"}, "-id", "1.1", "-config", cfg)
	})
	t.Run("foreign file", func(t *testing.T) {
		dir := t.TempDir()
		cfg, _, _ := clusterFile(t, dir, "unreplicated", "{}")
		os.MkdirAll(filepath.Join(dir, "state"), 0o755)
		os.WriteFile(filepath.Join(dir, "state", "replica-1.1.log"), []byte("not ours"), 0o644)
		mustFail(t, []string{"not an agora log", "storage_dir"}, "-id", "1.1", "-config", cfg)
	})
	t.Run("state of another algorithm", func(t *testing.T) {
		dir := t.TempDir()
		cfg, _, addr := clusterFile(t, dir, "unreplicated", "{}")
		stop := running(t, addr, "-id", "1.1", "-config", cfg)
		put(t, addr)
		stop()
		mustFail(t, []string{"written by unreplicated, not epaxos", "storage_dir", "delete"}, "-id", "1.1", "-config", cfg, "-algorithm", "epaxos")
	})
}

// The amnesia refusal and the lock, on the real binary.
func TestServerRefusesALostLogAndASecondProcess(t *testing.T) {
	dir := t.TempDir()
	cfg, _, addr := clusterFile(t, dir, "unreplicated", "{}")
	args := []string{"-id", "1.1", "-config", cfg}
	stop := running(t, addr, args...)
	put(t, addr)
	mustFail(t, []string{filepath.Join(dir, "state"), "another process"}, args...)
	stop()
	os.Remove(filepath.Join(dir, "state", "replica-1.1.log"))
	mustFail(t, []string{"missing", "-fresh"}, args...)
	running(t, addr, append(args, "-fresh")...)()
	running(t, addr, args...)()
}
