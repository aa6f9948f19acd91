package node

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/client"
	"github.com/agora-consensus/agora/paxi/transport"
	_ "github.com/agora-consensus/agora/protocols/unreplicated"
)

func startAll(t *testing.T, cfg *paxi.Config) []*Server {
	t.Helper()
	var out []*Server
	for _, id := range cfg.IDs() {
		s, err := Start(cfg, id, nil)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	t.Cleanup(func() {
		for _, s := range out {
			s.Close()
		}
	})
	return out
}

func TestClientAndHTTPThroughUnreplicated(t *testing.T) {
	cfg := testConfig(t, 3, "unreplicated", t.TempDir())
	startAll(t, cfg)
	c := dialReplica(t, cfg, "1.1")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Put(ctx, "k", "v1"); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Get(ctx, "k"); err != nil || v != "v1" {
		t.Fatalf("get k = %q, %v", v, err)
	}
	r1, _ := cfg.Replica("1.1")
	base := "http://" + r1.HTTP
	req, _ := http.NewRequest(http.MethodPut, base+"/kv/h", strings.NewReader("hello"))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("PUT /kv/h: %v %v", resp, err)
	}
	if got := httpGet(t, base+"/kv/h"); got != "hello" {
		t.Fatalf("GET /kv/h = %q", got)
	}
	req, _ = http.NewRequest(http.MethodDelete, base+"/kv/h", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE /kv/h: %v %v", resp, err)
	}
	if got := httpGet(t, base+"/kv/h"); got != "" {
		t.Fatalf("GET after DELETE = %q", got)
	}
	resp, err := http.Get(base + "/kv/")
	if err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("empty key: want 400, got %v %v", resp, err)
	}
	metrics := httpGet(t, base+"/metrics")
	for _, m := range []string{"agora_proposals_total", "agora_executions_total", "agora_fsync_seconds"} {
		if !strings.Contains(metrics, m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}
}

func TestCorruptClientFrameClosesOnlyThatConnection(t *testing.T) {
	cfg := testConfig(t, 1, "unreplicated", "")
	startAll(t, cfg)
	r1, _ := cfg.Replica("1.1")
	bad, err := net.Dial("tcp", r1.Client)
	if err != nil {
		t.Fatal(err)
	}
	bad.Write([]byte{0, 0, 0, 4, 0xde, 0xad, 0xbe, 0xef})
	bad.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := bad.Read(make([]byte, 1)); err == nil {
		t.Fatal("replica answered a corrupt frame instead of closing the connection")
	}
	// A well-formed frame of another message type is refused too.
	wrong, err := net.Dial("tcp", r1.Client)
	if err != nil {
		t.Fatal(err)
	}
	frame, err := transport.AppendFrame(nil, &client.Replies{Replies: []paxi.Reply{{ClientID: 1, CommandID: 1}}}, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	wrong.Write(frame)
	wrong.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := wrong.Read(make([]byte, 1)); err == nil {
		t.Fatal("replica answered a client.Replies frame instead of closing the connection")
	}
	huge, _ := net.Dial("tcp", r1.Client)
	huge.Write([]byte{0x7f, 0xff, 0xff, 0xff})
	huge.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := huge.Read(make([]byte, 1)); err == nil {
		t.Fatal("replica accepted an oversized frame")
	}
	c, err := client.Dial(r1.Client)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Put(ctx, "still", "serving"); err != nil {
		t.Fatalf("replica stopped serving after a corrupt frame: %v", err)
	}
	// A malformed command gets a clear error rather than a crash.
	_, err = c.Do(ctx, paxi.Command{Op: 99, Key: "k"})
	if err == nil || !strings.Contains(err.Error(), "bad command") {
		t.Fatalf("malformed command: want a 'bad command' error, got %v", err)
	}
}

func TestRestartRestoresPersistedWrites(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, 1, "unreplicated", dir)
	s, err := Start(cfg, "1.1", nil)
	if err != nil {
		t.Fatal(err)
	}
	r1, _ := cfg.Replica("1.1")
	c, _ := client.Dial(r1.Client)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, k := range []string{"a", "b", "c"} {
		if err := c.Put(ctx, k, "v-"+k); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	s.Close()
	s, err = Start(cfg, "1.1", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, _ = client.Dial(r1.Client)
	defer c.Close()
	for _, k := range []string{"a", "b", "c"} {
		if v, err := c.Get(ctx, k); err != nil || v != "v-"+k {
			t.Fatalf("after restart %s = %q, %v", k, v, err)
		}
	}
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func FuzzKeyPath(f *testing.F) {
	for _, s := range []string{"/kv/a", "/kv/", "/kv", "/x/a", "/kv/\xff", "/kv/" + strings.Repeat("k", 2000)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		key, err := ParseKeyPath(path)
		if err != nil {
			return
		}
		if key == "" || len(key) > MaxKeyLen || "/kv/"+key != path {
			t.Fatalf("ParseKeyPath(%q) accepted key %q", path, key)
		}
	})
}
