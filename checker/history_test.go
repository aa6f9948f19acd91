package checker

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestHistoryRoundTrips(t *testing.T) {
	ops := []Operation{
		{Client: 3, Op: "put", Key: "k17", Value: "v-3-42", Call: 1234567, Return: 1234999},
		{Client: 5, Op: "get", Key: "k17", Value: "v-3-42", Call: 1235000, Return: 1235100},
		{Client: 5, Op: "delete", Key: "k17", Call: 1235200, Return: -1},
	}
	var b bytes.Buffer
	if err := WriteHistory(&b, ops); err != nil {
		t.Fatal(err)
	}
	first := strings.SplitN(b.String(), "\n", 2)[0]
	if want := `{"client":3,"op":"put","key":"k17","value":"v-3-42","call":1234567,"return":1234999}`; first != want {
		t.Fatalf("line 1 is %s, want %s", first, want)
	}
	got, err := ReadHistory(&b)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(ops) || !got[2].Pending() {
		t.Fatalf("got %v", got)
	}
}

func TestReadHistoryNamesTheBadLine(t *testing.T) {
	good := `{"client":1,"op":"put","key":"k","value":"v","call":1,"return":2}` + "\n\n"
	for _, tc := range []struct{ line, want string }{
		{`{"client":1,"op":"cas","key":"k","call":1,"return":2}`, "unknown op"},
		{`{"client":1,"op":"get","key":"k","call":-5,"return":2}`, "negative"},
		{`{"client":1,"op":"get","key":"k","call":5,"return":2}`, "before call"},
		{`{"client":1,"op":"get","key":"k","call":5,"return":-2}`, "before call"},
		{`{"client":1,"op":"get","key":"k","call":5}`, `missing field "return"`},
		{`{"client":1,"op":"get","key":"k","call":5,"return":6,"extra":1}`, "unknown field"},
		{`{"client":1,"op":"get"`, "line 3"},
	} {
		_, err := ReadHistory(strings.NewReader(good + tc.line + "\n"))
		if err == nil || !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want line 3 and %q", tc.line, err, tc.want)
		}
	}
}

func TestRecorderIsSafeForConcurrentClients(t *testing.T) {
	r := NewRecorder()
	var wg sync.WaitGroup
	for c := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				h := r.Invoke(c, "put", "k", fmt.Sprintf("v-%d-%d", c, i), int64(i*10))
				if i%10 != 9 {
					r.Return(h, "ignored", int64(i*10+5))
				}
			}
		}()
	}
	wg.Wait()
	ops := r.Operations()
	pending := 0
	for _, o := range ops {
		if o.Pending() {
			pending++
		}
		if o.Value == "ignored" {
			t.Fatalf("a put's value was overwritten on return: %v", o)
		}
	}
	if len(ops) != 800 || pending != 80 {
		t.Fatalf("%d operations, %d pending", len(ops), pending)
	}
	h := r.Invoke(1, "get", "k", "junk", 5000)
	r.Return(h, "v-1-1", 5001)
	if o := r.Operations()[h]; o.Value != "v-1-1" || o.Return != 5001 {
		t.Fatalf("get recorded as %v", o)
	}
}
