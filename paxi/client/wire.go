// Package client is the Go client of an Agora cluster: a pipelined binary
// protocol (msgpack frames over TCP) for load generators, used by bin/cmd and
// the benchmark. The wire types are shared with the replica's front-end.
package client

import "github.com/agora-consensus/agora/paxi"

func init() {
	paxi.RegisterMessage("client.Batch", &Batch{})
	paxi.RegisterMessage("client.Replies", &Replies{})
}

// Batch carries commands from a client to a replica. A pipelined client
// sends everything it has queued in one frame, so a replica decodes and
// submits a burst with one call.
type Batch struct {
	Commands []paxi.Command
}

// Replies carries answers from a replica back to a client, grouped the same way.
type Replies struct {
	Replies []paxi.Reply
}
