package node

import (
	"encoding/binary"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/agora-consensus/agora/paxi"
	"github.com/agora-consensus/agora/paxi/storage"
	"github.com/agora-consensus/agora/paxi/transport"
)

// snapshotStore is a durable log that can be truncated behind a snapshot
// (storage.Log, through markedStore).
type snapshotStore interface {
	Roll() error
	Position() uint64
	SaveSnapshot(pos uint64, payload []byte) error
	Snapshot() (payload []byte, pos uint64, ok bool)
}

// snapshotter takes the replica's snapshots: between two Readys, when
// every record asked for is synced and every command handed out is
// applied, the event loop freezes the state machine (KV.Freeze: a pointer
// swap, the KV goes on copy on write) and encodes the protocol's
// checkpoint records (the pause); a goroutine encodes the frozen state and
// writes, fsyncs and renames the file (storage.Log.SaveSnapshot runs
// beside Append and Sync), one at a time. When it is done the loop folds
// the writes made meanwhile back (KV.Thaw).
type snapshotter struct {
	store snapshotStore
	proto paxi.Checkpointer
	every uint64 // executed commands between snapshots; 0: no such trigger
	last  uint64 // executed count at the last snapshot
	// bytes is the most bytes of records logged between snapshots (0: no
	// such trigger); logged counts those in the log behind the last
	// snapshot, including the ones this process restored (a replica
	// restarted more often than it logs bytes would otherwise never take
	// one, and replay a longer log at each restart); size is the last
	// snapshot's payload, which lets a small state snapshot sooner
	// (tailLimit).
	bytes, logged, size uint64
	at                  time.Time // when the last snapshot began (zero: none in this process)
	saving              sync.WaitGroup
	busy                bool // a snapshot is being written (event loop only, via done)
	done                chan saved
	// kvBytes and recBytes are the sizes of the last state and checkpoint
	// records encoded (snapshotPayload, encodeRecords).
	kvBytes, recBytes atomic.Int64
	// force takes a snapshot at the next chance whatever the triggers: a
	// peer is to be sent one holding this replica's state as it is now
	// (catchup.go).
	force bool
}

// saved is the outcome of writing a snapshot: its payload and the log
// position it covers, for peers that catch up from it (catchup.go), or why
// it failed.
type saved struct {
	payload []byte
	pos     uint64
	err     error
}

// A replica whose last snapshot is small takes the next one once its log
// tail is snapshotTailRatio times that size, but not before
// snapshotTailFloor bytes, nor later than snapshot_log_bytes. The rule is
// the one Redis uses to rewrite its append-only file (auto-aof-rewrite-
// percentage over auto-aof-rewrite-min-size): writing snapshots costs at
// most 1/snapshotTailRatio of what the log takes in, and a restart
// replays a tail no longer than that many snapshots. With a fixed 32 MiB
// the tail of small records (3 replicas, a few hot keys: ~100 bytes a
// record) took a restarted replica 2.7 s to replay in the crash test,
// while its snapshot was a few KiB (docs/SNAPSHOTS.md, "The trigger").
//
// A snapshot fired early by that rule also waits snapshotEarlyGap after
// the last one began: a snapshot has a fixed cost besides its bytes (two
// fsyncs, a rename, a new segment), and at saturation with fsync off a
// small state reached 4 MiB of tail 8 times a second, which cost Mencius
// 8% of its throughput (docs/SNAPSHOTS.md, "The trigger"). At
// snapshot_log_bytes the trigger fires whatever the time.
const (
	snapshotTailFloor = 4 << 20
	snapshotTailRatio = 8
	snapshotEarlyGap  = time.Second
)

// newSnapshotter returns nil when this replica takes no snapshots. A
// parsed config has DefaultSnapshotLogBytes in place of an absent
// snapshot_log_bytes; in a Config built in code, 0 and -1 both mean no
// byte trigger. tail is the bytes of the records restored from the log
// behind its snapshot, whose payload was snapSize bytes (0: none).
func newSnapshotter(cfg *paxi.Config, st storage.Storage, proto paxi.Protocol, tail, snapSize uint64) *snapshotter {
	every := max(cfg.SnapshotEvery, 0)
	s, ok := st.(snapshotStore)
	cp, ok2 := proto.(paxi.Checkpointer)
	if every == 0 && cfg.SnapshotLogBytes <= 0 || !ok || !ok2 {
		return nil
	}
	return &snapshotter{store: s, proto: cp, every: uint64(every), bytes: uint64(max(cfg.SnapshotLogBytes, 0)),
		logged: tail, size: snapSize, done: make(chan saved, 1)}
}

// tailLimit is the log tail, in bytes, at which the byte trigger fires.
func (s *snapshotter) tailLimit() uint64 {
	return min(s.bytes, max(snapshotTailFloor, snapshotTailRatio*s.size))
}

// noteLogged counts the bytes of records appended to the log, for the
// snapshot_log_bytes trigger.
func (s *snapshotter) noteLogged(recs [][]byte) {
	if s == nil {
		return
	}
	for _, r := range recs {
		s.logged += uint64(len(r))
	}
}

// due reports whether either trigger has fired since the last snapshot.
func (s *snapshotter) due(executed uint64, now time.Time) bool {
	return s.force || s.every > 0 && executed-s.last >= s.every || s.bytesDue(now)
}

// bytesDue reports whether the log tail calls for a snapshot: at
// snapshot_log_bytes always, at the smaller tailLimit once
// snapshotEarlyGap has passed since the last one began.
func (s *snapshotter) bytesDue(now time.Time) bool {
	if s.bytes == 0 {
		return false
	}
	return s.logged >= s.bytes || s.logged >= s.tailLimit() && now.Sub(s.at) >= snapshotEarlyGap
}

// maybeSnapshot takes a snapshot once every commands have executed, or
// tailLimit bytes of records were logged, since the last.
func (n *Node) maybeSnapshot() {
	s := n.snap
	if s == nil {
		return
	}
	if !n.maybeSnapshotDone() {
		return
	}
	start := time.Now()
	if !s.due(n.executed.Load(), start) {
		return
	}
	s.last, s.logged, s.force, s.at = n.executed.Load(), 0, false, start
	s.roll(n.log)
	pos := s.store.Position()
	// The records are encoded with the state on the snapshot goroutine:
	// on the loop, an EPaxos checkpoint of a few MB paused it for tens of
	// ms per snapshot at saturation (docs/SNAPSHOTS.md). The protocol does
	// not change them afterwards (paxi.Checkpointer).
	ck := s.proto.Checkpoint()
	view := n.kv.Freeze()
	n.metrics.snapshotPause.Observe(time.Since(start).Seconds())
	s.busy = true
	s.saving.Add(1)
	go func() {
		defer s.saving.Done()
		recs, size, err := encodeRecords(ck, int(s.recBytes.Load()))
		if err != nil {
			s.done <- saved{err: fmt.Errorf("snapshot not taken: %w", err)}
			return
		}
		payload, kvLen := snapshotPayload(view, recs, int(s.kvBytes.Load()))
		s.kvBytes.Store(int64(kvLen))
		s.recBytes.Store(int64(size))
		err = s.store.SaveSnapshot(pos, payload)
		if err == nil {
			n.metrics.snapshots.Inc()
			n.metrics.snapshotBytes.Set(float64(len(payload)))
			n.metrics.snapshotSeconds.Observe(time.Since(start).Seconds())
		}
		s.done <- saved{payload, pos, err}
	}()
}

// roll starts a log segment at the position a snapshot is about to be
// taken at: a restart then reads the records after the snapshot only
// (storage.Log.Roll). Without it the snapshot is as good, only the next
// open reads more.
func (s *snapshotter) roll(log *slog.Logger) {
	if err := s.store.Roll(); err != nil {
		log.Warn("could not start a log segment at the snapshot", "err", err)
	}
}

// maybeSnapshotDone takes the outcome of a snapshot being written, if it
// is known, and reports whether none is being written any more.
func (n *Node) maybeSnapshotDone() bool {
	s := n.snap
	if !s.busy {
		return true
	}
	select {
	case res := <-s.done:
		s.busy = false
		start := time.Now()
		n.kv.Thaw()
		n.metrics.snapshotPause.Observe(time.Since(start).Seconds())
		if res.err != nil {
			// The log is untouched past the failed step: the replica
			// goes on, and tries again at the next interval.
			n.log.Warn("snapshot failed", "err", res.err)
			n.metrics.snapshotFailures.Inc()
		} else {
			s.size = uint64(len(res.payload))
			n.cu.saved(res.payload, res.pos)
		}
		return true
	default:
		return false
	}
}

// wait lets a snapshot being written finish.
func (s *snapshotter) wait() {
	if s != nil {
		s.saving.Wait()
	}
}

// encodeRecords encodes checkpoint records in the log's encoding, one
// after the other in one buffer of hint bytes (the last checkpoint's
// size): encoded each into its own, grown by doubling, they cost half of
// the snapshot goroutine's CPU with EPaxos at 1.3M commands/s, whose
// checkpoint holds the commands of the instances not yet forgotten
// (docs/SNAPSHOTS.md). It returns the records and their total size.
func encodeRecords(recs []paxi.Message, hint int) ([][]byte, int, error) {
	out := make([][]byte, len(recs))
	buf := make([]byte, 0, hint+hint/8)
	for i, m := range recs {
		start := len(buf)
		var err error
		if buf, err = transport.Marshal(buf, m); err != nil {
			return nil, 0, fmt.Errorf("encode checkpoint record %s: %w", paxi.MessageName(m), err)
		}
		// Should buf grow, the records before keep the old array (append
		// copied them too, so len(buf) is still the total).
		out[i] = buf[start:len(buf):len(buf)]
	}
	return out, len(buf), nil
}

// A snapshot's payload: the state machine's snapshot, then the protocol's
// checkpoint records in the log's encoding, each with a uvarint length.
func encodeSnapshot(kv *paxi.KV, recs []paxi.Message) ([]byte, error) {
	enc, _, err := encodeRecords(recs, 0)
	if err != nil {
		return nil, err
	}
	view := kv.Freeze()
	defer kv.Thaw()
	payload, _ := snapshotPayload(view, enc, 0)
	return payload, nil
}

// snapshotPayload lays out a payload (see encodeSnapshot). The state is
// encoded after room for its length, which is then written just before
// it, so the large part is written once and never copied.
//
// kvHint is the size the state's encoding is expected to have (the last
// one's): with room for it and the records made at once, the payload is
// not grown by doubling, which held up to twice its size (docs/SNAPSHOTS.md).
func snapshotPayload(view *paxi.KVView, recs [][]byte, kvHint int) (payload []byte, kvLen int) {
	size := binary.MaxVarintLen64 + kvHint + kvHint/16 + binary.MaxVarintLen64
	for _, r := range recs {
		size += binary.MaxVarintLen64 + len(r)
	}
	b := view.AppendTo(make([]byte, binary.MaxVarintLen64, size))
	kvLen = len(b) - binary.MaxVarintLen64
	var hdr [binary.MaxVarintLen64]byte
	k := binary.PutUvarint(hdr[:], uint64(kvLen))
	b = b[binary.MaxVarintLen64-k:]
	copy(b, hdr[:k])
	b = binary.AppendUvarint(b, uint64(len(recs)))
	for _, r := range recs {
		b = binary.AppendUvarint(b, uint64(len(r)))
		b = append(b, r...)
	}
	return b, kvLen
}

// decodeSnapshot reverses encodeSnapshot (the payload format is
// paxi.DecodeSnapshotPayload's, shared with the simulator's catch-up).
func decodeSnapshot(b []byte) (*paxi.KV, []paxi.Message, error) {
	kvb, recs, err := paxi.DecodeSnapshotPayload(b, transport.Unmarshal)
	if err != nil {
		return nil, nil, err
	}
	kv := paxi.NewKV()
	if err := kv.Restore(kvb); err != nil {
		return nil, nil, err
	}
	return kv, recs, nil
}

// crashHookFromEnv returns a storage hook that ends the process at the
// named step of a snapshot (AGORA_SNAPSHOT_CRASH=before-rename,
// after-rename or before-truncate), for the real-process crash tests; nil
// when the variable is unset.
func crashHookFromEnv() func(string) error {
	at := os.Getenv("AGORA_SNAPSHOT_CRASH")
	if at == "" {
		return nil
	}
	return func(step string) error {
		if step == at {
			fmt.Fprintf(os.Stderr, "AGORA_SNAPSHOT_CRASH: exiting at %s\n", step)
			os.Exit(3)
		}
		return nil
	}
}

// The snapshot methods of the log under markedStore, when it has them.

func (s *markedStore) log() (snapshotStore, bool) {
	l, ok := s.Storage.(snapshotStore)
	return l, ok
}

func (s *markedStore) Roll() error {
	l, _ := s.log()
	return l.Roll()
}

func (s *markedStore) Position() uint64 {
	l, _ := s.log()
	return l.Position()
}

func (s *markedStore) SaveSnapshot(pos uint64, payload []byte) error {
	l, _ := s.log()
	return l.SaveSnapshot(pos, payload)
}

func (s *markedStore) Snapshot() ([]byte, uint64, bool) {
	l, ok := s.log()
	if !ok {
		return nil, 0, false
	}
	return l.Snapshot()
}

// restoreSnapshot loads the newest valid snapshot the log holds: the state
// machine, and the checkpoint records that come before the log's records
// in Env.Restored. Without one, an empty state machine and no records.
func restoreSnapshot(st storage.Storage) (kv *paxi.KV, recs []paxi.Message, size uint64, err error) {
	s, ok := st.(snapshotStore)
	if !ok {
		return paxi.NewKV(), nil, 0, nil
	}
	payload, pos, ok := s.Snapshot()
	if !ok {
		return paxi.NewKV(), nil, 0, nil
	}
	kv, recs, err = decodeSnapshot(payload)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("snapshot of records 0..%d: %w", pos, err)
	}
	return kv, recs, uint64(len(payload)), nil
}
