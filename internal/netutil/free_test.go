package netutil

import (
	"net"
	"testing"
)

func TestFreeLoopbackAddrsAreDistinctAndBindable(t *testing.T) {
	addrs, err := FreeLoopbackAddrs(5)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, a := range addrs {
		if seen[a] {
			t.Fatalf("address %s returned twice in %v", a, addrs)
		}
		seen[a] = true
		ln, err := net.Listen("tcp", a)
		if err != nil {
			t.Fatalf("%s was returned but cannot be bound: %v", a, err)
		}
		ln.Close()
	}
}
