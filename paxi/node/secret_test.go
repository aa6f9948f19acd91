package node

import (
	"context"
	"testing"
	"time"

	"github.com/agora-consensus/agora/paxi/client"
	_ "github.com/agora-consensus/agora/protocols/epaxos"
)

// TestClusterWithASecretCommits runs three EPaxos replicas that
// authenticate every peer connection, and checks a write made at one
// replica is read at another: the handshake with the secret works between
// real servers, not only in the transport's tests.
func TestClusterWithASecretCommits(t *testing.T) {
	cfg := testConfig(t, 3, "epaxos", "")
	cfg.ClusterSecret = "0123456789abcdef-laptop"
	startAll(t, cfg)
	r1, _ := cfg.Replica("1.1")
	r2, _ := cfg.Replica("1.2")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c1, err := client.Dial(r1.Client)
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	if err := c1.Put(ctx, "k", "v"); err != nil {
		t.Fatalf("put through 1.1: %v", err)
	}
	c2, err := client.Dial(r2.Client)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if v, err := c2.Get(ctx, "k"); err != nil || v != "v" {
		t.Fatalf("get through 1.2 = %q, %v; want \"v\"", v, err)
	}
}
