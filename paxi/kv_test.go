package paxi

import (
	"fmt"
	"testing"
)

func TestKVExecutesEachCommandOnce(t *testing.T) {
	kv := NewKV()
	put := Command{Op: Put, Key: "k", Value: "a", ClientID: 1, CommandID: 1}
	kv.Apply(put)
	kv.Apply(Command{Op: Put, Key: "k", Value: "b", ClientID: 2, CommandID: 1})
	if r := kv.Apply(put); !r.Duplicate {
		t.Fatal("re-applied command not reported as duplicate")
	}
	if v, _ := kv.Get("k"); v != "b" {
		t.Fatalf("duplicate put overwrote a later write: k=%q", v)
	}
	// Out-of-order ids from a pipelined client are each executed once.
	for _, id := range []uint64{5, 3, 4, 2} {
		if r := kv.Apply(Command{Op: Put, Key: "x", Value: "v", ClientID: 1, CommandID: id}); r.Duplicate {
			t.Fatalf("id %d wrongly a duplicate", id)
		}
	}
	if w := kv.window(1); w.low != 5 || len(w.done) != 0 {
		t.Fatalf("window not compacted: low=%d done=%v", w.low, w.done)
	}
	if r := kv.Apply(Command{Op: Delete, Key: "k", ClientID: 3, CommandID: 1}); r.Duplicate {
		t.Fatal("delete reported duplicate")
	}
	if _, ok := kv.Get("k"); ok {
		t.Fatal("delete did not remove the key")
	}
}

func TestKVSnapshotRestore(t *testing.T) {
	kv := NewKV()
	kv.Apply(Command{Op: Put, Key: "a", Value: "1", ClientID: 1, CommandID: 1})
	kv.Apply(Command{Op: Put, Key: "b", Value: "2", ClientID: 1, CommandID: 3})
	kv2, _ := snapshotRoundTrip(t, kv)
	if v, _ := kv2.Get("b"); v != "2" || kv2.Len() != 2 {
		t.Fatalf("restored state differs: b=%q len=%d", v, kv2.Len())
	}
	if !kv2.Apply(Command{Op: Put, Key: "b", Value: "x", ClientID: 1, CommandID: 3}).Duplicate {
		t.Fatal("restore lost at-most-once bookkeeping")
	}
	if kv2.Apply(Command{Op: Put, Key: "b", Value: "y", ClientID: 1, CommandID: 2}).Duplicate {
		t.Fatal("restore invented an executed id")
	}
}

func TestInterference(t *testing.T) {
	r := Command{Op: Get, Key: "k"}
	w := Command{Op: Put, Key: "k"}
	if r.Interferes(r) {
		t.Error("reads interfere with reads")
	}
	if !r.Interferes(w) || !w.Interferes(r) || !w.Interferes(w) {
		t.Error("writes must interfere with everything on the key")
	}
	if w.Interferes(Command{Op: Put, Key: "other"}) || w.Interferes(Command{Op: Noop, Key: "k"}) {
		t.Error("different keys or no-ops interfere")
	}
	a := Command{Op: Get, Key: "a", ClientID: 7, CommandID: 5}
	if !a.Interferes(Command{Op: Put, Key: "b", ClientID: 7, CommandID: 5}) || !a.Interferes(a) {
		t.Error("commands sharing a (client, id) must interfere, or deduplication diverges")
	}
	if a.Interferes(Command{Op: Put, Key: "b", ClientID: 7, CommandID: 6}) {
		t.Error("different command ids on different keys interfere")
	}
}

func TestKVClientIDsSmallAndLargeKeepTheirWindows(t *testing.T) {
	kv := NewKV()
	small, large := uint64(7), uint64(1)<<40
	for _, c := range []uint64{small, large} {
		for _, id := range []uint64{1, 2, 4} {
			if kv.Apply(Command{Op: Put, Key: "k", Value: "v", ClientID: c, CommandID: id}).Duplicate {
				t.Fatalf("client %d id %d wrongly a duplicate", c, id)
			}
		}
	}
	kv2, snap := snapshotRoundTrip(t, kv)
	for _, c := range []uint64{small, large} {
		for id, dup := range map[uint64]bool{2: true, 3: false, 4: true, 5: false} {
			if got := kv2.Apply(Command{Op: Put, Key: "k", Value: "v", ClientID: c, CommandID: id}).Duplicate; got != dup {
				t.Fatalf("client %d id %d after restore: duplicate=%v, want %v", c, id, got, dup)
			}
		}
	}
	kv3 := NewKV()
	if err := kv3.Restore(snap); err != nil || !kv3.Equal(kv) {
		t.Fatalf("snapshot does not restore to the state it was taken of (err %v)", err)
	}
}

// snapshotRoundTrip restores a snapshot of kv into a new KV; it returns
// both.
func snapshotRoundTrip(t *testing.T, kv *KV) (*KV, []byte) {
	t.Helper()
	snap, err := kv.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	kv2 := NewKV()
	if err := kv2.Restore(snap); err != nil {
		t.Fatal(err)
	}
	return kv2, snap
}

// A restored KV is the original (KV.Equal, and its own snapshot restores
// to it again), with many keys, deletes, dense and sparse client
// ids and out-of-order command ids, so replicas that restore from each
// other's snapshots (or their own) cannot drift apart.
func TestKVRestoredSnapshotIsIdentical(t *testing.T) {
	kv := NewKV()
	for i := uint64(1); i <= 2000; i++ {
		client := i%13 + 1
		if i%7 == 0 {
			client = 1<<40 + i%5
		}
		id := i/13 + 1
		if i%11 == 0 {
			id += 3 // leaves holes in the window
		}
		op := Put
		if i%17 == 0 {
			op = Delete
		}
		kv.Apply(Command{Op: op, Key: fmt.Sprint("k", i%97), Value: fmt.Sprint(i), ClientID: client, CommandID: id})
	}
	kv2, _ := snapshotRoundTrip(t, kv)
	kv3, _ := snapshotRoundTrip(t, kv2)
	if !kv2.Equal(kv) || !kv3.Equal(kv) {
		t.Fatal("a restored KV differs from the one its snapshot was taken of")
	}
	if kv2.Applied() != kv.Applied() || kv2.Len() != kv.Len() {
		t.Fatalf("restored applied=%d len=%d, want %d %d", kv2.Applied(), kv2.Len(), kv.Applied(), kv.Len())
	}
}
