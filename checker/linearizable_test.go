package checker

import (
	"bytes"
	"strings"
	"testing"
)

// op builds an operation tersely for the scenario tests below.
func op(client int, kind, key, value string, call, ret int64) Operation {
	return Operation{Client: client, Op: kind, Key: key, Value: value, Call: call, Return: ret}
}

func TestScenarios(t *testing.T) {
	for _, tc := range []struct {
		name string
		ops  []Operation
		want Verdict
	}{
		{"read of initial value", []Operation{op(1, "get", "x", "", 0, 5)}, Ok},
		{"read of a value nobody wrote", []Operation{op(1, "get", "x", "ghost", 0, 5)}, Illegal},
		{"concurrent read may see old or new", []Operation{
			op(1, "put", "x", "a", 0, 10), op(2, "get", "x", "", 5, 6), op(3, "get", "x", "a", 5, 6)}, Ok},
		{"stale read after a completed write", []Operation{
			op(1, "put", "x", "a", 0, 10), op(1, "put", "x", "b", 11, 20), op(2, "get", "x", "a", 21, 30)}, Illegal},
		{"intervals touching at an instant overlap", []Operation{
			op(1, "put", "x", "a", 0, 10), op(2, "get", "x", "", 10, 12)}, Ok},
		{"read returned before its write was called", []Operation{
			op(1, "get", "x", "a", 0, 5), op(2, "put", "x", "a", 6, 10)}, Illegal},
		{"pending write seen by a read", []Operation{
			op(1, "put", "x", "a", 0, -1), op(2, "get", "x", "a", 100, 110)}, Ok},
		{"pending write that never took effect", []Operation{
			op(1, "put", "x", "a", 0, -1), op(2, "get", "x", "", 100, 110)}, Ok},
		{"pending write cannot take effect before its call", []Operation{
			op(2, "get", "x", "a", 0, 10), op(1, "put", "x", "a", 20, -1)}, Illegal},
		{"pending get is ignored", []Operation{op(1, "get", "x", "whatever", 0, -1)}, Ok},
		{"delete empties the key", []Operation{
			op(1, "put", "x", "a", 0, 10), op(1, "delete", "x", "", 11, 20), op(2, "get", "x", "", 21, 30)}, Ok},
		{"read of a value after its delete", []Operation{
			op(1, "put", "x", "a", 0, 10), op(1, "delete", "x", "", 11, 20), op(2, "get", "x", "a", 21, 30)}, Illegal},
		{"keys are independent", []Operation{
			op(1, "put", "x", "a", 0, 10), op(2, "get", "y", "", 21, 30), op(2, "get", "x", "a", 31, 40)}, Ok},
		{"repeated values, linearizable", []Operation{
			op(1, "put", "x", "a", 0, 10), op(1, "put", "x", "b", 11, 20), op(2, "put", "x", "a", 15, 25),
			op(3, "get", "x", "a", 26, 30)}, Ok},
		{"repeated values, not linearizable", []Operation{
			op(1, "put", "x", "a", 0, 10), op(1, "put", "x", "b", 11, 20), op(2, "put", "x", "a", 5, 8),
			op(3, "get", "x", "a", 26, 30)}, Illegal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := CheckLinearizable(tc.ops, Options{})
			if res.Verdict != tc.want || bruteLinearizable(tc.ops) != (tc.want == Ok) {
				t.Fatalf("verdict %v, want %v\n%s", res.Verdict, tc.want, res)
			}
		})
	}
}

func TestViolationIsExplainedAndDrawn(t *testing.T) {
	ops := []Operation{
		op(1, "put", "x", "a", 0, 10),
		op(1, "put", "x", "b", 11, 20),
		op(3, "get", "y", "", 0, 100),
		op(2, "get", "x", "a", 21, 30),
	}
	res := CheckLinearizable(ops, Options{})
	text := res.String()
	for _, want := range []string{`key "x"`, "3 operations", "Why:", `"a"`, "removing any one"} {
		if !strings.Contains(text, want) {
			t.Errorf("explanation lacks %q:\n%s", want, text)
		}
	}
	if res.Key != "x" || len(res.Ops) != 3 || !res.Minimal {
		t.Fatalf("result %+v", res)
	}
	var b bytes.Buffer
	if err := WriteHTML(&b, ops, res); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if strings.Count(page, "#e74c3c") != 3 || !strings.Contains(page, "client 2") || strings.Contains(page, "client 3<") {
		t.Fatalf("timeline should mark 3 operations on key x only:\n%s", page)
	}
}
