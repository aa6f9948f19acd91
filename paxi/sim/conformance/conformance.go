// Package conformance is the scenario suite every replicated protocol runs
// in the simulator with one call from its own tests:
//
//	func TestConformance(t *testing.T) {
//		conformance.Run(t, "epaxos", nil, conformance.WithCapabilities(conformance.Capabilities{Recovery: false}))
//	}
//
// Each scenario (normal operation from every replica, crashes, partitions,
// loss, duplication, reordering, restarts, leader failure, conflicts, short
// timeouts, a long randomized run) is a subtest with a clear name. After
// each one the history must be linearizable, replicas must have executed
// interfering commands in the same order and nothing twice, and once the
// faults stopped every command must have completed and been executed
// everywhere. A failing scenario prints its seed and the command that
// replays it; -seed N (or AGORA_SEED=N) runs every scenario with seed N.
package conformance

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/sim"
)

// Capabilities declare what a protocol can do, so that scenarios needing
// more are skipped rather than failed.
type Capabilities struct {
	// Recovery means the protocol completes (or safely abandons) the
	// in-flight commands of a replica that failed: EPaxos explicit prepare,
	// Multi-Paxos leader election. Without it, scenarios that fail a
	// replica with commands in flight are skipped ("needs recovery"), and
	// the other failure scenarios first stop the victim's clients and wait
	// for its commands to finish, so that no survivor depends on them.
	Recovery bool
	// Leader names a replica through which every command passes when the
	// protocol starts (a fixed primary, Multi-Paxos's initial leader).
	// Without Recovery it is never crashed or cut off; with Recovery the
	// leader-failure scenario crashes it.
	Leader paxi.ID
	// Snapshots means the protocol catches a replica up from a peer's
	// snapshot once its peers forgot what it lacks (paxi.CatchUpper).
	// Without it the scenario that needs that is skipped.
	Snapshots bool
}

// options are the suite's settings.
type options struct {
	caps     Capabilities
	n        int
	latency  *sim.Matrix
	codec    func(paxi.Message) (paxi.Message, error)
	tweak    []func(*sim.Config)
	clients  int
	liveness time.Duration
}

// Option changes how the suite runs.
type Option func(*options)

// WithCapabilities declares the protocol's capabilities (default: none).
func WithCapabilities(c Capabilities) Option { return func(o *options) { o.caps = c } }

// WithReplicas sets the cluster size (default 5).
func WithReplicas(n int) Option { return func(o *options) { o.n = n } }

// WithLatency replaces the default latency matrix (the paper's wide-area
// sites for up to five replicas, a LAN beyond).
func WithLatency(m sim.Matrix) Option { return func(o *options) { o.latency = &m } }

// WithCodec round-trips every message and record through an encoder (see
// sim.Config.Codec).
func WithCodec(f func(paxi.Message) (paxi.Message, error)) Option {
	return func(o *options) { o.codec = f }
}

// WithClients sets the clients per replica (default 3).
func WithClients(n int) Option { return func(o *options) { o.clients = n } }

// WithLiveness sets the liveness bound (default 30s of virtual time).
func WithLiveness(d time.Duration) Option { return func(o *options) { o.liveness = d } }

// WithConfig lets the caller adjust every scenario's configuration last
// (a CPU model, say). Scenarios that set a field themselves may override it.
func WithConfig(f func(*sim.Config)) Option { return func(o *options) { o.tweak = append(o.tweak, f) } }

// DefaultSeed is the seed scenarios use unless -seed or AGORA_SEED says
// otherwise.
const DefaultSeed = 1

func init() {
	// The flag is registered from a library so that any test binary that
	// runs the suite accepts it. Test packages that import this one must not
	// define their own -seed (the flag package would panic on the
	// duplicate); they can read this one with flag.Lookup("seed").
	if flag.Lookup("seed") == nil {
		flag.Int64("seed", 0, "seed for the simulation scenarios (default: AGORA_SEED, or 1)")
	}
}

// Seed returns the seed scenarios run with: -seed, else AGORA_SEED, else
// DefaultSeed. Other tests in a package that runs the suite can use it too.
func Seed() int64 {
	if f := flag.Lookup("seed"); f != nil {
		if v, err := strconv.ParseInt(f.Value.String(), 10, 64); err == nil && v != 0 {
			return v
		}
	}
	if v, err := strconv.ParseInt(os.Getenv("AGORA_SEED"), 10, 64); err == nil && v != 0 {
		return v
	}
	return DefaultSeed
}

// Run runs every scenario as a subtest of t.
func Run(t *testing.T, protocol string, params json.RawMessage, opts ...Option) {
	o := options{n: 5, clients: 3, liveness: 30 * time.Second}
	for _, f := range opts {
		f(&o)
	}
	if _, err := paxi.Lookup(protocol); err != nil {
		t.Fatal(err)
	}
	if o.caps.Leader != "" && o.n > 0 {
		found := false
		for _, id := range replicaIDs(o.n) {
			found = found || id == o.caps.Leader
		}
		if !found {
			t.Fatalf("conformance: leader %s is not among the replicas %v", o.caps.Leader, replicaIDs(o.n))
		}
	}
	pkg := callerPackage()
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			if sc.recovery && !o.caps.Recovery {
				t.Skip("needs recovery")
			}
			if sc.snapshots && !o.caps.Snapshots {
				t.Skip("needs catch-up from a snapshot (paxi.CatchUpper)")
			}
			if testing.Short() && sc.long {
				t.Skip("long scenario; skipped with -short")
			}
			sc.run(&T{T: t, protocol: protocol, params: params, opts: o, pkg: pkg, seed: Seed()})
		})
	}
}

// Names lists the scenarios in the order Run runs them.
func Names() []string {
	out := make([]string, len(scenarios))
	for i, sc := range scenarios {
		out[i] = sc.name
	}
	return out
}

// replicaIDs names n replicas one per zone, as sim does by default.
func replicaIDs(n int) []paxi.ID {
	ids := make([]paxi.ID, n)
	for i := range ids {
		ids[i] = paxi.ID(fmt.Sprintf("%d.1", i+1))
	}
	return ids
}

// callerPackage finds the directory of the test that called Run, relative
// to the module root, for the replay command ("./protocols/epaxos").
func callerPackage() string {
	for skip := 2; skip < 6; skip++ {
		_, file, _, ok := runtime.Caller(skip)
		if !ok {
			break
		}
		if !strings.HasSuffix(file, "_test.go") {
			continue
		}
		dir := filepath.Dir(file)
		for root := dir; ; {
			if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
				rel, err := filepath.Rel(root, dir)
				if err != nil {
					return dir
				}
				return "./" + filepath.ToSlash(rel)
			}
			parent := filepath.Dir(root)
			if parent == root {
				return dir
			}
			root = parent
		}
	}
	return "."
}
