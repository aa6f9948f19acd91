package paxi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"reflect"
	"strings"
	"time"
)

// Config describes a cluster: its replicas, the algorithm they run with its
// parameters, and the knobs of the node runtime. It is loaded from
// config.json; Validate names the offending field of a bad file.
type Config struct {
	// Replicas lists every replica with its addresses.
	Replicas []ReplicaConfig `json:"replicas"`
	// Algorithm is the registered protocol name, e.g. "epaxos".
	Algorithm string `json:"algorithm"`
	// Params is the protocol's own parameters, decoded by the protocol.
	Params json.RawMessage `json:"params,omitempty"`
	// StorageDir holds one durable log per replica; "" keeps state in memory.
	StorageDir string `json:"storage_dir"`
	// Tick is the interval between protocol ticks, e.g. "5ms".
	Tick Duration `json:"tick"`
	// MaxBatch caps the events fed to the protocol before its Ready is processed.
	MaxBatch int `json:"max_batch"`
	// MaxFrame is the largest wire frame accepted, in bytes; at least
	// DefaultMaxFrame, which the protocols' message budget fits.
	MaxFrame int `json:"max_frame"`
	// SnapshotEvery is how many commands a replica executes between two
	// snapshots of its state machine, behind which its durable log is
	// truncated (docs/SNAPSHOTS.md); 0 (absent) or -1: no command trigger,
	// so that by default the snapshot_log_bytes trigger alone decides. Only
	// protocols that implement Checkpointer take snapshots.
	SnapshotEvery int64 `json:"snapshot_every,omitempty"`
	// SnapshotLogBytes takes a snapshot at the latest once the log holds
	// this many bytes of records behind the last one, counting those a
	// restarted replica restored (whichever of the two triggers comes
	// first); a replica whose snapshots are small takes one sooner, at 8
	// times the last snapshot's size from 4 MiB on (docs/SNAPSHOTS.md,
	// "The trigger"). 0 (absent) means DefaultSnapshotLogBytes; -1: no
	// byte trigger, which with snapshot_every absent means no snapshots
	// at all. A byte trigger bounds the data directory whatever a command
	// costs in the log, which a command count does not.
	SnapshotLogBytes int64 `json:"snapshot_log_bytes,omitempty"`
	// Fsync makes the durable log sync to disk once per batch (default true).
	Fsync *bool `json:"fsync,omitempty"`
	// ClusterSecret, if set, is shared by every replica: each peer
	// connection proves it (both ends), so that only replicas holding it
	// can join. Empty means peers are trusted by address, as on a laptop.
	ClusterSecret string `json:"cluster_secret,omitempty"`
	// AdminAccess says who may use /admin/faults and /debug/pprof:
	// "loopback" (the default) serves them to clients on the same machine
	// only, "any" to anyone who reaches the HTTP port, "none" to nobody.
	AdminAccess string `json:"admin_access,omitempty"`
	// EmulatedRTT, if set, emulates a wide-area deployment on one machine:
	// each replica holds back its messages to a peer by half the round-trip
	// time given for the pair, so five processes on loopback see the delays
	// of five regions. A pair may be given in either order (or both, equal).
	// Client connections are not delayed: clients are placed at their site.
	EmulatedRTT map[ID]map[ID]Duration `json:"emulated_rtt,omitempty"`
}

// AdminAccess values.
const (
	AdminLoopback = "loopback"
	AdminAny      = "any"
	AdminNone     = "none"
)

// minSecretLen is the shortest cluster_secret accepted: a short one could
// be guessed from the handshakes an eavesdropper records.
const minSecretLen = 16

// ReplicaConfig is one replica's identity and addresses.
type ReplicaConfig struct {
	ID     ID     `json:"id"`
	Peer   string `json:"peer"`   // replica-to-replica TCP address
	Client string `json:"client"` // binary client protocol (msgpack over TCP)
	HTTP   string `json:"http"`   // HTTP: /kv/{key}, /metrics, /admin
}

// Duration is a time.Duration written in JSON as a string such as "5ms".
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New(`want a duration string such as "5ms"`)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Defaults for fields a config may leave out.
const (
	DefaultTick     = 5 * time.Millisecond
	DefaultMaxBatch = 4096
	DefaultMaxFrame = 16 << 20
	// DefaultSnapshotLogBytes is the setting measured in
	// docs/PERFORMANCE.md ("Snapshots: the 10-minute soak"): with fsync on,
	// throughput within 5% of no snapshots for all three protocols, and a
	// data directory of 114-138 MiB after 10 minutes at saturation.
	DefaultSnapshotLogBytes = 32 << 20
)

// ConfigError names the field of a configuration that is wrong.
type ConfigError struct {
	Field string
	Err   error
}

func (e *ConfigError) Error() string { return fmt.Sprintf("config: %s: %v", e.Field, e.Err) }
func (e *ConfigError) Unwrap() error { return e.Err }

// LoadConfig reads and validates a configuration file.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return ParseConfig(b)
}

// ParseConfig decodes and validates a configuration. Unknown fields are
// rejected so that a misspelt knob is reported rather than ignored.
func ParseConfig(b []byte) (*Config, error) {
	var c Config
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, decodeError(b, err)
	}
	if dec.More() {
		return nil, &ConfigError{Field: "(file)", Err: errors.New("trailing data after the JSON object")}
	}
	c.applyDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// decodeError turns a JSON error into one naming the field. Errors from a
// field's own UnmarshalJSON (a bad duration, say) carry no field name, so
// each top-level field is decoded alone to find the culprit.
func decodeError(b []byte, err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &ConfigError{Field: te.Field, Err: fmt.Errorf("want %v, got JSON %s", te.Type, te.Value)}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &ConfigError{Field: "(file)", Err: fmt.Errorf("invalid JSON at byte %d: %v", se.Offset, se)}
	}
	if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
		return &ConfigError{Field: strings.Trim(msg[20:], `"`), Err: errors.New("unknown field")}
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(b, &top) == nil {
		t := reflect.TypeOf(Config{})
		for i := 0; i < t.NumField(); i++ {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			raw, ok := top[name]
			if !ok {
				continue
			}
			if ferr := json.Unmarshal(raw, reflect.New(t.Field(i).Type).Interface()); ferr != nil {
				return &ConfigError{Field: name, Err: ferr}
			}
		}
	}
	return &ConfigError{Field: "(file)", Err: err}
}

func (c *Config) applyDefaults() {
	if c.Tick == 0 {
		c.Tick = Duration(DefaultTick)
	}
	if c.MaxBatch == 0 {
		c.MaxBatch = DefaultMaxBatch
	}
	if c.MaxFrame == 0 {
		c.MaxFrame = DefaultMaxFrame
	}
	if c.AdminAccess == "" {
		c.AdminAccess = AdminLoopback
	}
	if c.SnapshotLogBytes == 0 {
		c.SnapshotLogBytes = DefaultSnapshotLogBytes
	}
}

// Validate checks every field and returns a *ConfigError naming the first bad one.
func (c *Config) Validate() error {
	if len(c.Replicas) == 0 {
		return &ConfigError{"replicas", errors.New("at least one replica is required")}
	}
	seen := map[ID]bool{}
	addrs := map[string]string{}
	for i, r := range c.Replicas {
		field := func(f string) string { return fmt.Sprintf("replicas[%d].%s", i, f) }
		id, err := ParseID(string(r.ID))
		if err != nil {
			return &ConfigError{field("id"), err}
		}
		if seen[id] {
			return &ConfigError{field("id"), fmt.Errorf("duplicate replica id %s", id)}
		}
		seen[id] = true
		c.Replicas[i].ID = id
		for _, a := range []struct{ name, addr string }{{"peer", r.Peer}, {"client", r.Client}, {"http", r.HTTP}} {
			if a.addr == "" {
				if a.name == "peer" {
					return &ConfigError{field(a.name), errors.New("address is required")}
				}
				continue
			}
			if _, _, err := net.SplitHostPort(a.addr); err != nil {
				return &ConfigError{field(a.name), err}
			}
			if other, dup := addrs[a.addr]; dup {
				return &ConfigError{field(a.name), fmt.Errorf("address %s already used by %s", a.addr, other)}
			}
			addrs[a.addr] = field(a.name)
		}
	}
	if c.Algorithm == "" {
		return &ConfigError{"algorithm", errors.New("is required")}
	}
	if len(c.Params) > 0 {
		var v map[string]any
		if err := json.Unmarshal(c.Params, &v); err != nil {
			return &ConfigError{"params", errors.New("must be a JSON object")}
		}
	}
	if c.Tick < Duration(100*time.Microsecond) || c.Tick > Duration(10*time.Second) {
		return &ConfigError{"tick", fmt.Errorf("%v is outside 100µs..10s", time.Duration(c.Tick))}
	}
	if c.SnapshotEvery < -1 {
		return &ConfigError{"snapshot_every", fmt.Errorf("must be a number of commands, or 0 or -1 for no command trigger, got %d", c.SnapshotEvery)}
	}
	if c.SnapshotLogBytes < -1 {
		return &ConfigError{"snapshot_log_bytes", fmt.Errorf("must be a number of bytes, 0 for the default (%d) or -1 for no byte trigger, got %d", DefaultSnapshotLogBytes, c.SnapshotLogBytes)}
	}
	if c.MaxBatch < 1 {
		return &ConfigError{"max_batch", fmt.Errorf("must be positive, got %d", c.MaxBatch)}
	}
	if c.MaxFrame < DefaultMaxFrame || c.MaxFrame > 1<<30 {
		// Protocols build messages of up to MessageBudget bytes (budget.go),
		// which a smaller frame would refuse to carry.
		return &ConfigError{"max_frame", fmt.Errorf("must be within %d (16MiB)..1GiB, got %d", DefaultMaxFrame, c.MaxFrame)}
	}
	if c.ClusterSecret != "" && len(c.ClusterSecret) < minSecretLen {
		return &ConfigError{"cluster_secret", fmt.Errorf("must be at least %d bytes, got %d", minSecretLen, len(c.ClusterSecret))}
	}
	if err := c.validateEmulatedRTT(seen); err != nil {
		return err
	}
	switch c.AdminAccess {
	case AdminLoopback, AdminAny, AdminNone:
	default:
		return &ConfigError{"admin_access", fmt.Errorf("must be %q, %q or %q, got %q", AdminLoopback, AdminAny, AdminNone, c.AdminAccess)}
	}
	return nil
}

// IDs lists the replica ids sorted by (zone, node).
func (c *Config) IDs() []ID {
	ids := make([]ID, len(c.Replicas))
	for i, r := range c.Replicas {
		ids[i] = r.ID
	}
	return SortIDs(ids)
}

// Replica returns the configuration of one replica.
func (c *Config) Replica(id ID) (ReplicaConfig, bool) {
	for _, r := range c.Replicas {
		if r.ID == id {
			return r, true
		}
	}
	return ReplicaConfig{}, false
}

// PeerAddrs maps each replica to its peer address.
func (c *Config) PeerAddrs() map[ID]string {
	m := make(map[ID]string, len(c.Replicas))
	for _, r := range c.Replicas {
		m[r.ID] = r.Peer
	}
	return m
}

// FsyncEnabled reports whether the durable log syncs per batch (the default).
func (c *Config) FsyncEnabled() bool { return c.Fsync == nil || *c.Fsync }

// D returns the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }
