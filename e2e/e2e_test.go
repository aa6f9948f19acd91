// Package e2e starts real replica processes on loopback and drives them
// with the real command-line tools.
package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/agora-consensus/agora/internal/netutil"
	"github.com/agora-consensus/agora/paxi"
	_ "github.com/agora-consensus/agora/protocols/all"
)

// buildTools compiles bin/server and bin/cmd once per test binary.
func buildTools(t *testing.T) (server, cmd string) {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"server", "cmd"} {
		out, err := exec.Command("go", "build", "-o", filepath.Join(dir, name), "../bin/"+name).CombinedOutput()
		if err != nil {
			t.Fatalf("go build bin/%s: %v\n%s", name, err, out)
		}
	}
	return filepath.Join(dir, "server"), filepath.Join(dir, "cmd")
}

type cluster struct {
	t      *testing.T
	server string
	config string
	cfg    *paxi.Config
	procs  map[paxi.ID]*exec.Cmd
	logs   map[paxi.ID]*bytes.Buffer
	env    map[paxi.ID][]string // extra environment of the next start
}

// newCluster starts three replicas; extra is added to config.json's
// top-level fields (`,"snapshot_every":20`).
func newCluster(t *testing.T, server, algorithm string, extra ...string) *cluster {
	dir := t.TempDir()
	addrs, err := netutil.FreeLoopbackAddrs(9)
	if err != nil {
		t.Fatal(err)
	}
	var reps []string
	for i := 0; i < 3; i++ {
		reps = append(reps, fmt.Sprintf(`{"id":"1.%d","peer":%q,"client":%q,"http":%q}`, i+1, addrs[3*i], addrs[3*i+1], addrs[3*i+2]))
	}
	js := fmt.Sprintf(`{"replicas":[%s],"algorithm":%q,"storage_dir":%q,"tick":"5ms"%s}`, strings.Join(reps, ","), algorithm, filepath.Join(dir, "state"), strings.Join(extra, ""))
	path := filepath.Join(dir, "config.json")
	if err := os.WriteFile(path, []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := paxi.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{t: t, server: server, config: path, cfg: cfg, procs: map[paxi.ID]*exec.Cmd{}, logs: map[paxi.ID]*bytes.Buffer{}, env: map[paxi.ID][]string{}}
	t.Cleanup(c.stopAll)
	for _, id := range cfg.IDs() {
		c.start(id)
	}
	return c
}

func (c *cluster) start(id paxi.ID) {
	// Half the ids use Paxi's single-dash flags, half the double-dash form.
	args := []string{"-id", string(id), "-config", c.config, "-log-level", "warn"}
	if id.Node()%2 == 0 {
		args = []string{"--id=" + string(id), "--config=" + c.config, "--log-level=warn"}
	}
	p := exec.Command(c.server, args...)
	if env := c.env[id]; len(env) > 0 {
		p.Env = append(os.Environ(), env...)
	}
	buf := &bytes.Buffer{}
	p.Stdout, p.Stderr = buf, buf
	if err := p.Start(); err != nil {
		c.t.Fatal(err)
	}
	c.procs[id], c.logs[id] = p, buf
	r, _ := c.cfg.Replica(id)
	waitListening(c.t, r.Client)
}

func (c *cluster) kill(id paxi.ID) {
	p := c.procs[id]
	p.Process.Signal(syscall.SIGKILL)
	p.Wait()
	delete(c.procs, id)
}

func (c *cluster) stopAll() {
	for id, p := range c.procs {
		p.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { p.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			p.Process.Kill()
			<-done
		}
		if c.t.Failed() {
			c.t.Logf("replica %s output:\n%s", id, c.logs[id])
		}
	}
}

func waitListening(t *testing.T, addr string) {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if conn, err := net.Dial("tcp", addr); err == nil {
			conn.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("nothing listening on %s after 15s", addr)
}

func runCmd(t *testing.T, cmd, config string, id paxi.ID, words ...string) string {
	t.Helper()
	args := append([]string{"-config", config, "-id", string(id)}, words...)
	out, err := exec.Command(cmd, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("cmd %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func httpDo(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestKillAndRestartKeepsPersistedWrites writes through bin/cmd and HTTP,
// SIGKILLs a replica, restarts it, and reads everything back from it. For a
// replicated protocol the killed replica is not the one written to, so it
// must have persisted what it learnt from its peers.
func TestKillAndRestartKeepsPersistedWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	server, cmd := buildTools(t)
	for _, algorithm := range paxi.Names() {
		t.Run(algorithm, func(t *testing.T) {
			c := newCluster(t, server, algorithm)
			victim := paxi.ID("1.2")
			if algorithm == "unreplicated" {
				victim = "1.1" // nothing is replicated, so read where it was written
			}
			r1, _ := c.cfg.Replica("1.1")
			for i := 0; i < 5; i++ {
				if out := runCmd(t, cmd, c.config, "1.1", "put", fmt.Sprintf("k%d", i), fmt.Sprintf("v%d", i)); out != "OK" {
					t.Fatalf("put: %q", out)
				}
			}
			if code, _ := httpDo(t, http.MethodPut, "http://"+r1.HTTP+"/kv/web", "from-http"); code != http.StatusNoContent {
				t.Fatalf("HTTP PUT: status %d", code)
			}
			if out := runCmd(t, cmd, c.config, "1.1", "get", "web"); out != "from-http" {
				t.Fatalf("get web = %q", out)
			}
			c.kill(victim)
			c.start(victim)
			rv, _ := c.cfg.Replica(victim)
			for i := 0; i < 5; i++ {
				if out := runCmd(t, cmd, c.config, victim, "get", fmt.Sprintf("k%d", i)); out != fmt.Sprintf("v%d", i) {
					t.Fatalf("after SIGKILL and restart, %s has k%d = %q", victim, i, out)
				}
			}
			if code, body := httpDo(t, http.MethodGet, "http://"+rv.HTTP+"/kv/web", ""); code != http.StatusOK || body != "from-http" {
				t.Fatalf("after restart, GET /kv/web = %d %q", code, body)
			}
		})
	}
}

// TestBadConfigNamesFieldAndExits checks the operator-facing failure: one
// line naming the field, and a non-zero exit.
func TestBadConfigNamesFieldAndExits(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries")
	}
	server, _ := buildTools(t)
	path := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(path, []byte(`{"replicas":[{"id":"1.1","peer":"127.0.0.1:1"}],"algorithm":"unreplicated","tick":"soon"}`), 0o644)
	out, err := exec.Command(server, "-id", "1.1", "-config", path).CombinedOutput()
	if err == nil {
		t.Fatal("server started with a bad config")
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "tick") {
		t.Fatalf("want one line naming the field tick, got %q", out)
	}
}
