package node

import (
	"fmt"
	"testing"

	"github.com/agora-consensus/agora/internal/netutil"
	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/client"
)

// testConfig builds an n-replica loopback configuration.
func testConfig(t *testing.T, n int, algorithm, dir string) *paxi.Config {
	t.Helper()
	addrs, err := netutil.FreeLoopbackAddrs(3 * n)
	if err != nil {
		t.Fatal(err)
	}
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

// dialReplica connects a client to replica id's client port, closed when
// the test ends.
func dialReplica(t *testing.T, cfg *paxi.Config, id paxi.ID) *client.Client {
	t.Helper()
	rc, _ := cfg.Replica(id)
	c, err := client.Dial(rc.Client)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
