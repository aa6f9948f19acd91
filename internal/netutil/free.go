// Package netutil holds small networking helpers shared by the replica's
// listeners, tests, the in-process benchmark cluster and the end-to-end
// tests.
package netutil

import "net"

// FreeLoopbackAddrs reserves n loopback ports by listening on port 0 and
// closing again, and returns their addresses. Another process may take a
// port in the short window before the caller binds it; callers are tests
// and local benchmarks, for which that risk is acceptable.
func FreeLoopbackAddrs(n int) ([]string, error) {
	lns := make([]net.Listener, 0, n)
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	out := make([]string, 0, n)
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, ln)
		out = append(out, ln.Addr().String())
	}
	return out, nil
}
