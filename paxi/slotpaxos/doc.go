// Package slotpaxos is the part of slot-by-slot Paxos that Multi-Paxos and
// Mencius share. Both order commands in numbered slots, each slot one
// instance of single-decree Paxos (Lamport, "Paxos Made Simple", 2001)
// that every replica takes part in as acceptor and learner, and both
// execute chosen slots in slot order. What differs between them stays in
// their packages: one global ballot and a leader against per-slot owners,
// skips and revocation.
//
// What is shared, so that it exists once:
//   - the acceptor's vote in a slot (Slot: its value and the ballot it was
//     accepted at), persisted as a Vote record before the reply that
//     announces it;
//   - the learner's rule (Slot.Learn): a commit names the ballot at which
//     its value was chosen, and a replica takes the value it voted for as
//     the chosen one only when it voted at that ballot (a proposer proposes
//     one value per slot per ballot); any other slot it fetches. A copy of
//     this rule that assumed a leader's commit point covered only slots
//     chosen at the leader's own ballot executed two values in one slot
//     (issue 11; PROTOCOLS.md, "Shared by Multi-Paxos and Mencius");
//   - the phase-1 rule (Better): per slot, a value known chosen, else the
//     vote of the highest ballot (Paxos Made Simple, section 2.2);
//   - the executor over the chosen prefix (Log.Advance) with its commit
//     point persisted (Log.Durable) in the Ready that executes, so that a
//     restarted replica executes again from its own records and never
//     needs a slot its peers forgot;
//   - restore of votes, learned values and the commit point (Log.Restore);
//   - catch-up answers (Log.Chosen): chosen values, bounded in bytes;
//   - forgetting (Log.Forget) the slots that every replica reported
//     executed, which needs each replica's executed point at every peer
//     (paxi.SlotProgress), or that a snapshot saved covers: a peer that
//     lacks them catches up from the snapshot (catchup.go,
//     paxi.CatchUpper).
package slotpaxos
