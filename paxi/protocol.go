package paxi

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand"
	"reflect"
	"sort"
	"strings"
	"sync"
)

// Protocol is one replication protocol's state at one replica. It is a
// single-threaded, deterministic state machine: it never starts a goroutine,
// reads a clock, touches a socket or a file, or uses the global random
// source. Everything it wants done it returns from Ready, and the host (the
// node runtime or the simulator) carries it out.
type Protocol interface {
	// Propose hands the protocol a client command that arrived at this replica.
	Propose(req Request)
	// Step delivers a message from a peer.
	Step(from ID, msg Message)
	// Tick advances logical time by one tick; all timeouts count ticks.
	Tick()
	// Ready takes everything produced since the last call.
	Ready() Ready
}

// Ready is what a protocol asks of the world, to be done in this order.
type Ready struct {
	// Persist must be durable (one sync for the batch) before anything below.
	Persist []Message
	// Messages are sent after Persist is durable.
	Messages []Envelope
	// Execute is applied to the state machine in order; the host answers a
	// client waiting at this replica with the result.
	Execute []Command
	// Replies are answers that do not come from execution: a write
	// acknowledged at commit, a redirect to the leader, an error.
	Replies []Reply
	// SendSnapshot lists peers that asked this replica for what it has
	// forgotten (they were down while it forgot): the host sends each its
	// newest snapshot (SnapshotTransfers), which the peer installs before
	// it catches up on the rest as usual. See CatchUpper.
	SendSnapshot []ID
}

// PeerWatcher is implemented by protocols that act at once on a host's
// news that a peer is unreachable, rather than only after a timeout.
type PeerWatcher interface {
	// PeerDown tells the protocol that the host's connection to peer p
	// dropped (on real processes, within milliseconds of its crash). It is
	// a hint: the peer may be alive behind a flaky connection, so the
	// protocol may elect or revoke at once but must stay safe if the hint
	// is wrong, and it hears from a peer that is back as usual.
	PeerDown(p ID)
}

// PeerDown is the envelope message by which a transport reports, among the
// messages it delivers, that its connection to the envelope's From
// dropped. It never goes on the wire; the host hands it to a PeerWatcher
// and to nothing else.
type PeerDown struct{}

// Empty reports whether there is nothing to do.
func (r *Ready) Empty() bool {
	return len(r.Persist) == 0 && len(r.Messages) == 0 && len(r.Execute) == 0 && len(r.Replies) == 0 && len(r.SendSnapshot) == 0
}

// Env is everything a protocol is given at construction.
type Env struct {
	// ID is this replica.
	ID ID
	// Peers lists every replica of the cluster, this one included, sorted by
	// (zone, node). Protocols iterate it for a fixed order.
	Peers []ID
	// Params is the protocol's own section of the configuration; each
	// protocol unmarshals it into its own typed struct (see DecodeParams).
	Params json.RawMessage
	// Rand is the only random source a protocol may use; the simulator seeds it.
	Rand *rand.Rand
	// Log receives the protocol's diagnostics.
	Log *slog.Logger
	// Restored holds every record this replica persisted before it
	// restarted, in the order it persisted them (nil on a fresh start). The
	// protocol rebuilds its state from them and re-executes what was
	// committed: the state machine starts empty on every restart.
	Restored []Message
	// Nearest lists every other replica, nearest first (see NearestFirst),
	// so that a protocol that asks only a quorum asks the one that answers
	// soonest. Empty means the host does not know: use Peers order.
	Nearest []ID
}

// NearestFirst lists the replicas of peers other than self by dist, the
// smallest first; a nil dist puts the replicas of self's zone first, all
// that is known without measured latencies. Ties go in ring order after self in peers (the next
// replica first, wrapping around) rather than by id: where every replica is
// equally near, as in one data center, each then leans on different peers
// instead of all on the lowest ids, and the order is still deterministic.
func NearestFirst(self ID, peers []ID, dist func(ID) int64) []ID {
	at := IndexOf(peers, self)
	var out []ID
	for d := 1; d <= len(peers); d++ {
		if p := peers[(at+d)%len(peers)]; p != self {
			out = append(out, p)
		}
	}
	if dist == nil {
		dist = func(p ID) int64 {
			if p.Zone() == self.Zone() {
				return 0
			}
			return 1
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return dist(out[i]) < dist(out[j]) })
	return out
}

// N is the number of replicas.
func (e Env) N() int { return len(e.Peers) }

// F is the number of failures the cluster tolerates with majority quorums.
func (e Env) F() int { return (len(e.Peers) - 1) / 2 }

// DecodeParams fills dst (a pointer to the protocol's params struct, with
// defaults already set) from env.Params. Unknown fields are an error naming
// them, so a typo in config.json is caught rather than silently ignored.
func DecodeParams(raw json.RawMessage, dst any) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytesReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return fmt.Errorf("params: %w (known: %s): fix \"params\" in the configuration", err, strings.Join(paramNames(dst), ", "))
	}
	return nil
}

// Param is one integer protocol parameter by its JSON name, for AtLeastOne.
type Param struct {
	Name  string
	Value int
}

// AtLeastOne reports the first of params below 1 as protocol's error, in
// the one form every protocol gives it: counts, tick periods and limits of
// 0 or less would make a protocol spin, never retry or never send.
func AtLeastOne(protocol string, params ...Param) error {
	for _, p := range params {
		if p.Value < 1 {
			return fmt.Errorf("%s: params.%s must be at least 1, got %d", protocol, p.Name, p.Value)
		}
	}
	return nil
}

// paramNames lists the JSON names of a params struct's fields, for the
// error that a misspelt parameter gets.
func paramNames(dst any) []string {
	t := reflect.TypeOf(dst)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	var names []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
	}
	return names
}

// Factory builds a protocol instance from its environment.
type Factory func(env Env) (Protocol, error)

var registry = struct {
	sync.RWMutex
	m map[string]Factory
}{m: map[string]Factory{}}

// Register makes a protocol available by name; call it from the protocol
// package's init. Registering a name twice panics.
func Register(name string, f Factory) {
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.m[name]; dup {
		panic("paxi: protocol registered twice: " + name)
	}
	registry.m[name] = f
}

// Lookup finds a registered protocol by name.
func Lookup(name string) (Factory, error) {
	registry.RLock()
	defer registry.RUnlock()
	f, ok := registry.m[name]
	if !ok {
		return nil, fmt.Errorf("unknown algorithm %q (registered: %v)", name, namesLocked())
	}
	return f, nil
}

// Names lists the registered protocols, sorted.
func Names() []string {
	registry.RLock()
	defer registry.RUnlock()
	return namesLocked()
}

func namesLocked() []string {
	out := make([]string, 0, len(registry.m))
	for n := range registry.m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Stat is one protocol-reported measurement.
type Stat struct {
	Name  string  // e.g. "fast_path_total"
	Help  string  // one line for /metrics
	Value float64 // current value; counters only grow
	// Counter is true for monotonically growing counts, false for gauges.
	Counter bool
}

// Reporter is implemented by protocols that report their own metrics (fast
// paths, dependency counts, ...). Hosts call Stats from the protocol's own
// goroutine, so implementations need no locking.
type Reporter interface {
	Stats() []Stat
}
