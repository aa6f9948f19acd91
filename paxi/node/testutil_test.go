package node

import (
	"fmt"
	"net"
	"testing"

	"github.com/agora-consensus/agora/paxi"
)

// freeAddrs reserves n loopback ports by listening and closing; the tiny
// window before the server binds again is acceptable in tests.
func freeAddrs(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	var lns []net.Listener
	for i := 0; i < n; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		out = append(out, ln.Addr().String())
	}
	for _, ln := range lns {
		ln.Close()
	}
	return out
}

// testConfig builds an n-replica loopback configuration.
func testConfig(t *testing.T, n int, algorithm, dir string) *paxi.Config {
	t.Helper()
	addrs := freeAddrs(t, 3*n)
	js := `{"replicas":[`
	for i := 0; i < n; i++ {
		if i > 0 {
			js += ","
		}
		js += fmt.Sprintf(`{"id":"1.%d","peer":%q,"client":%q,"http":%q}`, i+1, addrs[3*i], addrs[3*i+1], addrs[3*i+2])
	}
	js += fmt.Sprintf(`],"algorithm":%q,"storage_dir":%q,"tick":"2ms"}`, algorithm, dir)
	cfg, err := paxi.ParseConfig([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
