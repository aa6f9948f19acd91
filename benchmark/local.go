package benchmark

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"github.com/agora-consensus/agora/internal/netutil"
	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/node"
)

// Local is an in-process cluster of real nodes talking TCP on loopback:
// everything but the process boundary, for benchmarks and tests.
type Local struct {
	Config  *paxi.Config
	Servers []*node.Server
}

// StartLocal starts n replicas of algorithm on free loopback ports. dir
// holds their logs ("" keeps state in memory); fsync false skips the sync.
func StartLocal(algorithm string, n int, params json.RawMessage, dir string, fsync bool) (*Local, error) {
	addrs, err := netutil.FreeLoopbackAddrs(3 * n)
	if err != nil {
		return nil, err
	}
	var reps []string
	for i := 0; i < n; i++ {
		reps = append(reps, fmt.Sprintf(`{"id":"1.%d","peer":%q,"client":%q,"http":%q}`, i+1,
			addrs[3*i], addrs[3*i+1], addrs[3*i+2]))
	}
	if len(params) == 0 {
		params = json.RawMessage("{}")
	}
	js := fmt.Sprintf(`{"replicas":[%s],"algorithm":%q,"params":%s,"storage_dir":%q,"fsync":%v,"tick":"5ms"}`,
		strings.Join(reps, ","), algorithm, params, dir, fsync)
	cfg, err := paxi.ParseConfig([]byte(js))
	if err != nil {
		return nil, err
	}
	l := &Local{Config: cfg}
	quiet := slog.New(slog.NewTextHandler(discard{}, &slog.HandlerOptions{Level: slog.LevelError}))
	for _, id := range cfg.IDs() {
		s, err := node.Start(cfg, id, quiet)
		if err != nil {
			l.Close()
			return nil, err
		}
		l.Servers = append(l.Servers, s)
	}
	return l, nil
}

// Addrs maps each replica to its client address.
func (l *Local) Addrs() map[paxi.ID]string { return ClientAddrs(l.Config) }

// Close stops every replica.
func (l *Local) Close() {
	for _, s := range l.Servers {
		s.Close()
	}
}

// ClientAddrs maps each replica of a configuration to its client address.
func ClientAddrs(cfg *paxi.Config) map[paxi.ID]string {
	m := map[paxi.ID]string{}
	for _, r := range cfg.Replicas {
		if r.Client != "" {
			m[r.ID] = r.Client
		}
	}
	return m
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
