package paxi

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"testing"
)

// randomKV applies a random mix of puts, deletes and gets from dense and
// sparse clients with out-of-order and repeated ids.
func randomKV(r *rand.Rand, kv *KV, n int) {
	for i := 0; i < n; i++ {
		client := uint64(r.Intn(20) + 1)
		if r.Intn(5) == 0 {
			client = 1<<40 + uint64(r.Intn(4))
		}
		op := []Op{Put, Put, Put, Delete, Get}[r.Intn(5)]
		kv.Apply(Command{Op: op, Key: fmt.Sprint("k", r.Intn(200)), Value: fmt.Sprint(r.Int63()),
			ClientID: client, CommandID: uint64(r.Intn(i/4+3) + 1)})
	}
}

// Encode then Restore gives back the same data, windows and applied count,
// and the restored at-most-once table answers every (client, id) the same.
func TestKVBinarySnapshotRoundTrip(t *testing.T) {
	for seed := int64(1); seed <= 20; seed++ {
		r := rand.New(rand.NewSource(seed))
		kv := NewKV()
		randomKV(r, kv, 3000)
		kv2, snap := snapshotRoundTrip(t, kv)
		if string(snap[:len(kvMagic)]) != kvMagic {
			t.Fatal("snapshot is not the binary format")
		}
		if !kv2.Equal(kv) || kv2.Len() != kv.Len() || kv2.Applied() != kv.Applied() {
			t.Fatalf("seed %d: restored state differs (replay: go test -run TestKVBinarySnapshotRoundTrip ./paxi/)", seed)
		}
		for c := uint64(1); c <= 20; c++ {
			for id := uint64(1); id < 900; id += 7 {
				cmd := Command{Op: Put, Key: "z", Value: "z", ClientID: c, CommandID: id}
				if a, b := kv.Apply(cmd).Duplicate, kv2.Apply(cmd).Duplicate; a != b {
					t.Fatalf("seed %d: client %d id %d duplicate=%v after restore, %v before", seed, c, id, b, a)
				}
			}
		}
	}
}

// While a view is out the KV keeps executing and reads its own writes,
// the view keeps the state of the instant it was taken, and Thaw leaves
// the KV as if no view had been taken.
func TestKVFreezeIsCopyOnWrite(t *testing.T) {
	for seed := int64(1); seed <= 20; seed++ {
		kv, plain := NewKV(), NewKV()
		randomKV(rand.New(rand.NewSource(seed)), kv, 500)
		randomKV(rand.New(rand.NewSource(seed)), plain, 500)
		before, _ := snapshotRoundTrip(t, plain)
		view := kv.Freeze()
		// The same later commands on both, then compare every read.
		randomKV(rand.New(rand.NewSource(seed*7)), kv, 500)
		randomKV(rand.New(rand.NewSource(seed*7)), plain, 500)
		for i := 0; i < 200; i++ {
			k := fmt.Sprint("k", i)
			a, okA := kv.Get(k)
			b, okB := plain.Get(k)
			if a != b || okA != okB {
				t.Fatalf("seed %d: frozen KV reads %s=%q,%v; want %q,%v", seed, k, a, okA, b, okB)
			}
		}
		if kv.Len() != plain.Len() {
			t.Fatalf("seed %d: frozen KV has %d keys, want %d", seed, kv.Len(), plain.Len())
		}
		fromView := NewKV()
		if err := fromView.Restore(view.Encode()); err != nil {
			t.Fatal(err)
		}
		if !fromView.Equal(before) {
			t.Fatalf("seed %d: the view changed after Freeze", seed)
		}
		kv.Thaw()
		if !kv.Equal(plain) {
			t.Fatalf("seed %d: state after Thaw differs from one never frozen", seed)
		}
	}
}

// Every truncation and every flipped byte of a snapshot is reported as a
// KVSnapshotError, never a panic or an empty state, and leaves the KV as
// it was.
func TestKVDamagedSnapshotIsReported(t *testing.T) {
	kv := NewKV()
	randomKV(rand.New(rand.NewSource(3)), kv, 400)
	snap, err := kv.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, b []byte) {
		t.Helper()
		target := NewKV()
		target.Apply(Command{Op: Put, Key: "mine", Value: "x"})
		err := target.Restore(b)
		var se *KVSnapshotError
		if !errors.As(err, &se) {
			t.Fatalf("%s: Restore returned %v, want a KVSnapshotError", what, err)
		}
		if v, _ := target.Get("mine"); v != "x" || target.Len() != 1 {
			t.Fatalf("%s: a failed Restore changed the state", what)
		}
	}
	for n := 0; n < len(snap); n += 1 + n/8 {
		check(fmt.Sprintf("cut at %d of %d", n, len(snap)), snap[:n])
	}
	for i := 0; i < len(snap); i += 1 + i/16 {
		b := append([]byte(nil), snap...)
		b[i] ^= 0x40
		check(fmt.Sprintf("byte %d flipped", i), b)
	}
	check("empty", nil)
	check("JSON garbage", []byte("{not json"))
}

// A snapshot in the JSON format of earlier builds (written by the code
// removed with the binary format, reproduced here) still restores.
func TestKVRestoresAnOldJSONSnapshot(t *testing.T) {
	kv := NewKV()
	randomKV(rand.New(rand.NewSource(5)), kv, 1000)
	v := kv.Freeze()
	kv.Thaw()
	type win struct {
		Low  uint64   `json:"low"`
		Done []uint64 `json:"done,omitempty"`
	}
	old := struct {
		Data    map[string]string `json:"data"`
		Clients map[uint64]win    `json:"clients"`
		Applied uint64            `json:"applied"`
	}{Data: v.data, Clients: map[uint64]win{}, Applied: v.applied}
	for _, w := range v.windows {
		old.Clients[w.client] = win{w.low, w.done}
	}
	b, err := json.Marshal(old)
	if err != nil {
		t.Fatal(err)
	}
	kv2 := NewKV()
	if err := kv2.Restore(b); err != nil {
		t.Fatal(err)
	}
	if !kv2.Equal(kv) {
		t.Fatal("the JSON snapshot restored to a different state")
	}
}
