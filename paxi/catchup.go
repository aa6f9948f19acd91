package paxi

// CatchUpper is a Checkpointer whose replicas catch up from each other's
// snapshots (docs/SNAPSHOTS.md, "Catch-up from a snapshot"). With it a
// replica may forget what a peer has not executed yet once the host saves
// snapshots: that peer, if it asks for what was forgotten, gets a snapshot
// instead (Outbox.SendSnapshot), one taken for it when the newest is older
// than the log, so forgetting no longer waits for a replica that is down.
//
// Installing a peer's snapshot is a restart: the host saves, as a
// snapshot of its own log, the peer's state machine with the peer's
// checkpoint records followed by this replica's own (its Checkpoint taken
// just then), and builds the protocol from those as Env.Restored. A
// protocol's restore must therefore take a peer's checkpoint followed by
// its own: the peer's sets where the log starts and how far it executed;
// its own adds every promise and vote it made (they stay binding), and its
// records of what lies below the peer's start are ignored.
type CatchUpper interface {
	Checkpointer
	// SnapshotSaved tells the protocol that what its last Checkpoint
	// returned is durable in a snapshot the host can send to a peer. A
	// replica restored from a snapshot starts with that one saved.
	SnapshotSaved()
	// Behind reports whether the checkpoint records of a peer's snapshot
	// hold something this replica has not executed, and installing them
	// loses nothing it executed. The host installs only such a snapshot.
	// For the slot protocols, which execute a prefix, that is a longer
	// prefix; EPaxos also installs a snapshot that has not executed some
	// instances it executed, if the snapshot commits them or it still
	// holds them, and executes those again (protocols/epaxos/snapcatchup.go).
	// A host sends a snapshot taken for the peer when its newest is older
	// than its log (SnapshotSender).
	Behind(peer []Message) bool
}
