package paxi

// SlotProgress is what a replica of a slot-log protocol (Multi-Paxos,
// Mencius) tells every peer from time to time, whether or not it proposes
// anything: it has executed every slot below Executed (and durably recorded
// them as committed before saying so), and holds chosen every slot below
// Commit. Peers forget the slots every replica executed, and a replica
// behind learns that there is something to catch up on even in an idle
// cluster, where no other message would tell it (PROTOCOLS.md: idle
// replicas send progress too).
type SlotProgress struct {
	Executed, Commit int64
}

// ProgressReport decides when a replica sends its SlotProgress: every
// Every ticks while its points move, and every Idle ticks even when they do
// not, so that a report lost, or sent while a peer was down, is sent again.
type ProgressReport struct {
	Every, Idle int64
	last        SlotProgress
	sentAt      int64
}

// Due reports whether p should go out at tick now, and if so notes it as
// sent.
func (r *ProgressReport) Due(now int64, p SlotProgress) bool {
	if now-r.sentAt < r.Every || (p == r.last && now-r.sentAt < r.Idle) {
		return false
	}
	r.last, r.sentAt = p, now
	return true
}

func init() { RegisterMessage("paxi.SlotProgress", &SlotProgress{}) }
