package node

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/agora-consensus/agora/paxi/client"
)

func TestClientPortRefusesValuesOverTheLimitAndKeepsServing(t *testing.T) {
	cfg := testConfig(t, 1, "unreplicated", "")
	startAll(t, cfg)
	r1, _ := cfg.Replica("1.1")
	c, err := client.Dial(r1.Client)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = c.Put(ctx, "big", strings.Repeat("v", MaxValueLen+1))
	if err == nil || !strings.Contains(err.Error(), "value longer than") {
		t.Fatalf("put of a value over the limit: want a 'value longer than' error, got %v", err)
	}
	if err := c.Put(ctx, "big", strings.Repeat("v", MaxValueLen)); err != nil {
		t.Fatalf("put of a value at the limit on the same connection: %v", err)
	}
	if v, err := c.Get(ctx, "big"); err != nil || len(v) != MaxValueLen {
		t.Fatalf("get big = %d bytes, %v; want the %d-byte value", len(v), err, MaxValueLen)
	}
}
