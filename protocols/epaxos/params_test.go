package epaxos

import (
	"strings"
	"testing"

	"github.com/agora-consensus/agora/paxi"
)

func TestParams(t *testing.T) {
	env := paxi.Env{ID: "1.1", Peers: ids(3)}
	r, err := New(env)
	if err != nil {
		t.Fatal(err)
	}
	if r.Params() != DefaultParams() {
		t.Fatalf("defaults %+v, want %+v", r.Params(), DefaultParams())
	}
	env.Params = []byte(`{"fast_quorum":"basic","thrifty":false,"max_batch":7,"reply_at_commit":true,"retry_ticks":3,"progress_ticks":4,"thrifty_fallback_ticks":2,"resend_limit":9,"max_inflight":5}`)
	r, err = New(env)
	if err != nil {
		t.Fatal(err)
	}
	want := Params{FastQuorum: "basic", Thrifty: false, MaxBatch: 7, ReplyAtCommit: true, RetryTicks: 3, ProgressTicks: 4, ThriftyFallbackTicks: 2, ResendLimit: 9, MaxInflight: 5}
	if r.Params() != want {
		t.Fatalf("params %+v, want %+v", r.Params(), want)
	}
	for bad, mention := range map[string]string{
		`{"fast_qorum":"basic"}`:    "fast_qorum",
		`{"fast_quorum":"fastest"}`: "fast_quorum",
		`{"max_batch":0}`:           "max_batch",
		`{"retry_ticks":0}`:         "retry_ticks",
		`{"progress_ticks":0}`:      "progress_ticks",
		`{"max_inflight":-1}`:       "max_inflight",
	} {
		env.Params = []byte(bad)
		if _, err := New(env); err == nil || !strings.Contains(err.Error(), mention) {
			t.Errorf("params %s: error %v, want one naming %s", bad, err, mention)
		}
	}
}

func TestRegisteredAsEpaxos(t *testing.T) {
	f, err := paxi.Lookup("epaxos")
	if err != nil {
		t.Fatal(err)
	}
	p, err := f(paxi.Env{ID: "1.1", Peers: ids(3)})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.(paxi.Reporter); !ok {
		t.Fatal("epaxos does not report stats")
	}
	if p, err := f(paxi.Env{ID: "1.9", Peers: ids(3)}); err == nil || p != nil {
		t.Fatalf("a replica outside its peers was built: %v %v", p, err)
	}
}
