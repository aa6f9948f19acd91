package node

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/client"
	"github.com/agora-consensus/agora/paxi/storage"
	"github.com/agora-consensus/agora/paxi/transport"
	_ "github.com/agora-consensus/agora/protocols/epaxos"
	"github.com/agora-consensus/agora/protocols/unreplicated"
)

// writeRecords leaves a log of id's replica under dir holding recs, as a
// replica that persisted them and stopped would.
func writeRecords(t *testing.T, dir string, id paxi.ID, recs ...paxi.Message) {
	t.Helper()
	f, err := storage.OpenFile(StorePath(dir, id), storage.FileOptions{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range recs {
		b, err := transport.Marshal(nil, m)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Append(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func record(v string) paxi.Message {
	return &unreplicated.Record{Commands: []paxi.Command{{Op: paxi.Put, Key: "k", Value: v}}}
}

// startFails starts replica 1.1 and wants an error of one line that
// contains every one of want; a panic fails the test by itself.
func startFails(t *testing.T, cfg *paxi.Config, o StartOptions, want ...string) {
	t.Helper()
	s, err := StartWith(cfg, "1.1", o)
	if err == nil {
		s.Close()
		t.Fatalf("Start succeeded; want an error mentioning %q", want)
	}
	msg := err.Error()
	t.Logf("error: %s", msg)
	if strings.Contains(msg, "\n") {
		t.Errorf("error is not one line: %q", msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q does not mention %q", msg, w)
		}
	}
}

// Every error inside Start used to end in a nil pointer dereference in the
// deferred cleanup (issue 13); each must come back as one line saying why
// and what to do.
func TestStartErrorsAreOneLineNotPanics(t *testing.T) {
	t.Run("peer port in use", func(t *testing.T) {
		cfg := testConfig(t, 3, "unreplicated", t.TempDir())
		ln, err := net.Listen("tcp", cfg.Replicas[0].Peer)
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		startFails(t, cfg, StartOptions{}, cfg.Replicas[0].Peer, "in use", "stop")
	})
	t.Run("client port in use", func(t *testing.T) {
		cfg := testConfig(t, 3, "unreplicated", t.TempDir())
		ln, err := net.Listen("tcp", cfg.Replicas[0].Client)
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		startFails(t, cfg, StartOptions{}, cfg.Replicas[0].Client, "in use")
		// The failed start released what it had taken: the log lock and
		// the peer port.
		ln.Close()
		s, err := Start(cfg, "1.1", nil)
		if err != nil {
			t.Fatalf("start after the port was freed: %v", err)
		}
		s.Close()
	})
	t.Run("bad address", func(t *testing.T) {
		cfg := testConfig(t, 3, "unreplicated", t.TempDir())
		cfg.Replicas[0].HTTP = "127.0.0.1:99999"
		startFails(t, cfg, StartOptions{}, "127.0.0.1:99999", `"http"`)
	})
	t.Run("unknown param", func(t *testing.T) {
		cfg := testConfig(t, 3, "unreplicated", t.TempDir())
		cfg.Params = json.RawMessage(`{"thrify":true}`)
		startFails(t, cfg, StartOptions{}, "thrify", "known: persist", `fix "params"`)
	})
	t.Run("corrupt log", func(t *testing.T) {
		dir := t.TempDir()
		cfg := testConfig(t, 3, "unreplicated", dir)
		writeRecords(t, dir, "1.1", record("a"), record("b"), record("c"))
		path := StorePath(dir, "1.1")
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		b[len("AGORALG1")+12+2] ^= 0xff // inside the first record's payload
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		startFails(t, cfg, StartOptions{}, path, "corrupt", "restore")
	})
	t.Run("foreign file", func(t *testing.T) {
		dir := t.TempDir()
		cfg := testConfig(t, 3, "unreplicated", dir)
		path := StorePath(dir, "1.1")
		if err := os.WriteFile(path, []byte("some other program's data"), 0o644); err != nil {
			t.Fatal(err)
		}
		startFails(t, cfg, StartOptions{}, path, "not an agora log", "storage_dir")
	})
	t.Run("log of another algorithm", func(t *testing.T) {
		dir := t.TempDir()
		writeRecords(t, dir, "1.1", record("a"))
		cfg := testConfig(t, 3, "epaxos", dir)
		startFails(t, cfg, StartOptions{}, "unreplicated", "epaxos", "storage_dir", dir)
	})
	t.Run("marker of another algorithm", func(t *testing.T) {
		dir := t.TempDir()
		cfg := testConfig(t, 3, "unreplicated", dir)
		s, err := Start(cfg, "1.1", nil)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		cfg.Algorithm = "epaxos"
		startFails(t, cfg, StartOptions{}, "unreplicated", "epaxos", "storage_dir")
	})
}

// TestStaleStateDirOfAnotherAlgorithm is the README's case: a state/ left
// by a replica of one algorithm that persisted a command, then a start of
// the same id with another algorithm.
func TestStaleStateDirOfAnotherAlgorithm(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	cfg := testConfig(t, 1, "unreplicated", dir)
	s, err := Start(cfg, "1.1", nil)
	if err != nil {
		t.Fatal(err)
	}
	putOne(t, cfg, "1.1")
	s.Close()
	cfg.Algorithm = "epaxos"
	startFails(t, cfg, StartOptions{}, "written by unreplicated", "epaxos", "storage_dir", "delete")
}

// putOne stores one value through replica id's client port.
func putOne(t *testing.T, cfg *paxi.Config, id paxi.ID) {
	t.Helper()
	r, _ := cfg.Replica(id)
	c, err := client.Dial(r.Client)
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
