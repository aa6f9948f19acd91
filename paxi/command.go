package paxi

import "fmt"

// Op is the operation a command performs on the key-value state machine.
type Op uint8

const (
	Get Op = iota + 1
	Put
	Delete
	// Noop is an explicit no-op: protocols use it to fill a slot or an
	// instance that must be decided but carries no client command.
	Noop
)

func (o Op) String() string {
	switch o {
	case Get:
		return "get"
	case Put:
		return "put"
	case Delete:
		return "delete"
	case Noop:
		return "noop"
	}
	return fmt.Sprintf("op(%d)", uint8(o))
}

// ParseOp is the inverse of Op.String for the client-visible operations.
func ParseOp(s string) (Op, error) {
	switch s {
	case "get", "GET":
		return Get, nil
	case "put", "PUT":
		return Put, nil
	case "delete", "DELETE":
		return Delete, nil
	}
	return 0, fmt.Errorf("unknown operation %q (want get, put or delete)", s)
}

// IsWrite reports whether the operation changes the state machine.
func (o Op) IsWrite() bool { return o == Put || o == Delete }

// Command is one client operation. (ClientID, CommandID) names it uniquely,
// which is what lets every replica execute it at most once.
type Command struct {
	Op        Op
	Key       string
	Value     string
	ClientID  uint64
	CommandID uint64
}

// Interferes is the single definition of conflict used by every protocol and
// by the checker: same key, and at least one of the two writes; or the same
// client command id. Reads never interfere with reads otherwise, and no-ops
// interfere with nothing.
//
// The second clause is for at-most-once: the state machine skips a (client,
// id) it has executed (KV.Apply), so two commands that share one, a client
// reusing an id on another key, must execute in the same order at every
// replica, or each replica keeps a different one. A protocol may order more
// than this (EPaxos orders all of a client's commands), never less.
func (c Command) Interferes(d Command) bool {
	if c.Op == Noop || d.Op == Noop {
		return false
	}
	if c.ClientID != 0 && c.CommandID != 0 && c.ClientID == d.ClientID && c.CommandID == d.CommandID {
		return true
	}
	return c.Key == d.Key && (c.Op.IsWrite() || d.Op.IsWrite())
}

func (c Command) String() string {
	switch c.Op {
	case Put:
		return fmt.Sprintf("put(%s=%s)#%d.%d", c.Key, c.Value, c.ClientID, c.CommandID)
	default:
		return fmt.Sprintf("%s(%s)#%d.%d", c.Op, c.Key, c.ClientID, c.CommandID)
	}
}

// CommandKey names a command for at-most-once execution and reply routing.
type CommandKey struct {
	ClientID  uint64
	CommandID uint64
}

// Ident returns the command's unique name.
func (c Command) Ident() CommandKey { return CommandKey{c.ClientID, c.CommandID} }

// Request is a client command as handed to a protocol's Propose.
type Request struct {
	Command Command
}

// Reply answers one client command.
type Reply struct {
	ClientID  uint64
	CommandID uint64
	// Value is the value read by a get ("" when the key is absent).
	Value string
	// Err is empty on success; otherwise a human-readable reason.
	Err string
	// Leader, when set on an error, names the replica the client should retry at.
	Leader ID
}

// Ident returns the name of the command this reply answers.
func (r Reply) Ident() CommandKey { return CommandKey{r.ClientID, r.CommandID} }
