package checker

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/agora-consensus/agora/paxi"
)

var r1, r2, r3 = paxi.ID("1.1"), paxi.ID("1.2"), paxi.ID("1.3")

func put(client, id uint64, key, value string) paxi.Command {
	return paxi.Command{Op: paxi.Put, Key: key, Value: value, ClientID: client, CommandID: id}
}

func get(client, id uint64, key string) paxi.Command {
	return paxi.Command{Op: paxi.Get, Key: key, ClientID: client, CommandID: id}
}

// kinds summarizes violations for comparison in tests.
func kinds(vs []ExecViolation) string {
	s := ""
	for _, v := range vs {
		s += fmt.Sprintf("%s %s/%s %v %v; ", v.Kind, v.Replica, v.Other, v.A.Ident(), v.B.Ident())
	}
	return s
}

func TestSameOrderOnEveryReplicaIsClean(t *testing.T) {
	log := []paxi.Command{put(1, 1, "x", "a"), get(2, 1, "x"), put(2, 2, "y", "b"), put(1, 2, "x", "c")}
	if vs := CheckExecution(map[paxi.ID][]paxi.Command{r1: log, r2: log, r3: log[:2]}, nil); len(vs) != 0 {
		t.Fatalf("identical logs and a lagging replica reported: %s", kinds(vs))
	}
}

func TestNonInterferingCommandsMayBeReordered(t *testing.T) {
	a := []paxi.Command{put(1, 1, "x", "a"), put(2, 1, "y", "b"), get(3, 1, "z"), get(4, 1, "z")}
	b := []paxi.Command{get(4, 1, "z"), put(2, 1, "y", "b"), get(3, 1, "z"), put(1, 1, "x", "a")}
	if vs := CheckExecution(map[paxi.ID][]paxi.Command{r1: a, r2: b}, nil); len(vs) != 0 {
		t.Fatalf("non-interfering reorder reported: %s", kinds(vs))
	}
}

func TestWritesInDifferentOrderAreReported(t *testing.T) {
	a := []paxi.Command{put(1, 1, "x", "a"), put(2, 1, "x", "b")}
	b := []paxi.Command{put(2, 1, "x", "b"), put(1, 1, "x", "a")}
	vs := CheckExecution(map[paxi.ID][]paxi.Command{r1: a, r2: b}, nil)
	if len(vs) != 1 || vs[0].Kind != Reordered || vs[0].A != a[0] || vs[0].B != a[1] {
		t.Fatalf("got %s", kinds(vs))
	}
	t.Log(vs[0])
}

func TestGetOnOtherSideOfWriteIsReported(t *testing.T) {
	a := []paxi.Command{put(1, 1, "x", "a"), get(2, 1, "x"), put(1, 2, "x", "c")}
	b := []paxi.Command{put(1, 1, "x", "a"), put(1, 2, "x", "c"), get(2, 1, "x")}
	vs := CheckExecution(map[paxi.ID][]paxi.Command{r1: a, r2: b}, nil)
	if len(vs) != 1 || vs[0].Kind != Reordered || vs[0].A != a[1] || vs[0].B != a[2] {
		t.Fatalf("got %s", kinds(vs))
	}
}

func TestDuplicateExecutionIsReported(t *testing.T) {
	noop := paxi.Command{Op: paxi.Noop}
	anon := paxi.Command{Op: paxi.Put, Key: "x", Value: "v"}
	a := []paxi.Command{put(1, 1, "x", "a"), noop, anon, put(1, 1, "x", "a"), noop, anon}
	vs := CheckExecution(map[paxi.ID][]paxi.Command{r1: a}, nil)
	if len(vs) != 1 || vs[0].Kind != Duplicate || vs[0].A != a[0] {
		t.Fatalf("got %s", kinds(vs))
	}
}

func TestCommandSkippedByReplicaThatExecutedPastItIsMissing(t *testing.T) {
	a := []paxi.Command{put(1, 1, "x", "a"), get(2, 1, "x"), put(3, 1, "x", "c")}
	b := []paxi.Command{put(3, 1, "x", "c")}
	vs := CheckExecution(map[paxi.ID][]paxi.Command{r1: a, r2: b}, nil)
	want := "missing 1.2/1.1 {1 1} {3 1}; missing 1.2/1.1 {2 1} {3 1}; "
	if kinds(vs) != want {
		t.Fatalf("got  %s\nwant %s", kinds(vs), want)
	}
}

func TestAckedCommandMissingBeforeLaterCommandOfSameClient(t *testing.T) {
	a := []paxi.Command{put(1, 1, "x", "a")}
	b := []paxi.Command{put(1, 2, "x", "b")}
	vs := CheckExecution(map[paxi.ID][]paxi.Command{r1: a, r2: b}, []paxi.CommandKey{{ClientID: 1, CommandID: 1}})
	if len(vs) != 1 || vs[0].Kind != Missing || vs[0].Replica != r2 || vs[0].A != a[0] || vs[0].B != b[0] {
		t.Fatalf("got %s", kinds(vs))
	}
	// Acknowledged, but executed by no replica at all.
	vs = CheckExecution(map[paxi.ID][]paxi.Command{r1: b, r2: b}, []paxi.CommandKey{{ClientID: 1, CommandID: 1}})
	if len(vs) != 2 || vs[0].Kind != Missing || vs[0].A.Ident() != a[0].Ident() {
		t.Fatalf("got %s", kinds(vs))
	}
	t.Log(vs[0])
	// Not acknowledged: the client may have given up on it.
	if vs := CheckExecution(map[paxi.ID][]paxi.Command{r1: a, r2: b}, nil); len(vs) != 0 {
		t.Fatalf("got %s", kinds(vs))
	}
}

func TestDifferentCommandsUnderOneIDAreConflicting(t *testing.T) {
	a := []paxi.Command{put(1, 1, "x", "a")}
	b := []paxi.Command{put(1, 1, "x", "b")}
	vs := CheckExecution(map[paxi.ID][]paxi.Command{r1: a, r2: b}, nil)
	if len(vs) != 1 || vs[0].Kind != Conflicting {
		t.Fatalf("got %s", kinds(vs))
	}
}

// TestExecutionCheckIsLinear checks five replicas with 300,000 commands
// each, which a quadratic comparison could not do in time.
func TestExecutionCheckIsLinear(t *testing.T) {
	n := 300_000
	if testing.Short() {
		n = 50_000
	}
	rng := rand.New(rand.NewPCG(1, 1))
	log := make([]paxi.Command, n)
	var acked []paxi.CommandKey
	for i := range log {
		c := uint64(1 + rng.IntN(64))
		key := fmt.Sprintf("k%d", rng.IntN(10))
		if rng.IntN(2) == 0 {
			log[i] = get(c, uint64(i), key)
		} else {
			log[i] = put(c, uint64(i), key, "v")
		}
		acked = append(acked, log[i].Ident())
	}
	logs := map[paxi.ID][]paxi.Command{}
	for z := 1; z <= 5; z++ {
		logs[paxi.ID(fmt.Sprintf("1.%d", z))] = log
	}
	start := time.Now()
	if vs := CheckExecution(logs, acked); len(vs) != 0 {
		t.Fatalf("got %d violations", len(vs))
	}
	t.Logf("5 replicas x %d commands in %v", n, time.Since(start))
}
