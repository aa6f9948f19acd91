package paxi

// Checkpointer is implemented by a protocol whose durable log the host may
// truncate behind a snapshot of the state machine (docs/SNAPSHOTS.md).
//
// The host calls Checkpoint between two Readys, after the last Ready was
// carried out, so every record asked for is durable and every command
// handed out in Execute is applied to the state machine. It returns the
// records that, replayed alone from an empty start (as Env.Restored, then
// followed by the records persisted after this call), re-establish all the
// protocol still needs: every promise and vote it may still be asked
// about, its commit point, and how far it executed, so that the restarted
// protocol executes only what the state-machine snapshot does not hold.
// The host persists them inside the snapshot, never in the log. It
// encodes them on another goroutine while the protocol goes on, so the
// protocol must not change them, nor memory they share, afterwards (new
// record structs holding commands and deps that are never modified in
// place, as every protocol here keeps them, satisfy this).
type Checkpointer interface {
	Checkpoint() []Message
}
