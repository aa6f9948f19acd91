// Package checker answers two questions about a run: was the history that
// clients observed linearizable (CheckLinearizable), and did the replicas
// execute interfering commands in the same order (CheckExecution).
package checker

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
)

// Operation is one client operation on the key-value store, as recorded by a
// client: when it was invoked, when it returned, and what it saw. Times are
// integer nanoseconds from any common origin.
type Operation struct {
	// Client names the client that issued the operation; it is only used to
	// draw timelines, since each client's operations never overlap anyway.
	Client int `json:"client"`
	// Op is "get", "put" or "delete".
	Op string `json:"op"`
	// Key is the key the operation touches.
	Key string `json:"key"`
	// Value is the value written by a put, or the value returned by a get
	// ("" when the key was absent). It is empty for a delete.
	Value string `json:"value"`
	// Call is when the operation was invoked.
	Call int64 `json:"call"`
	// Return is when the operation returned, or -1 if it never did.
	Return int64 `json:"return"`
}

// Pending reports whether the operation never returned: it may have taken
// effect at any time after its call, or never.
func (o Operation) Pending() bool { return o.Return < 0 }

func (o Operation) String() string {
	ret := strconv.FormatInt(o.Return, 10)
	if o.Pending() {
		ret = "never"
	}
	switch o.Op {
	case "get":
		return fmt.Sprintf("client %d: get(%s) -> %q  [%d, %s]", o.Client, o.Key, o.Value, o.Call, ret)
	case "put":
		return fmt.Sprintf("client %d: put(%s, %q)  [%d, %s]", o.Client, o.Key, o.Value, o.Call, ret)
	}
	return fmt.Sprintf("client %d: %s(%s)  [%d, %s]", o.Client, o.Op, o.Key, o.Call, ret)
}

// validate checks one operation for the rules of the history format.
func (o Operation) validate() error {
	switch o.Op {
	case "get", "put", "delete":
	default:
		return fmt.Errorf("unknown op %q (want get, put or delete)", o.Op)
	}
	if o.Call < 0 {
		return fmt.Errorf("call %d is negative", o.Call)
	}
	if o.Return != -1 && o.Return < o.Call {
		return fmt.Errorf("return %d is before call %d (use -1 for an operation that never returned)", o.Return, o.Call)
	}
	return nil
}

// wireOperation has pointer fields so that ReadHistory can tell a missing
// field from a zero one.
type wireOperation struct {
	Client *int    `json:"client"`
	Op     *string `json:"op"`
	Key    *string `json:"key"`
	Value  string  `json:"value"`
	Call   *int64  `json:"call"`
	Return *int64  `json:"return"`
}

// ReadHistory parses a history in the JSON-lines format of docs/HISTORY.md.
// Blank lines are skipped; any other malformed line is an error that names
// its line number.
func ReadHistory(r io.Reader) ([]Operation, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	var ops []Operation
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var w wireOperation
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&w); err != nil {
			return nil, fmt.Errorf("line %d: %v", line, err)
		}
		if dec.More() {
			return nil, fmt.Errorf("line %d: more than one JSON object", line)
		}
		var missing string
		switch {
		case w.Client == nil:
			missing = "client"
		case w.Op == nil:
			missing = "op"
		case w.Key == nil:
			missing = "key"
		case w.Call == nil:
			missing = "call"
		case w.Return == nil:
			missing = "return"
		}
		if missing != "" {
			return nil, fmt.Errorf("line %d: missing field %q", line, missing)
		}
		o := Operation{Client: *w.Client, Op: *w.Op, Key: *w.Key, Value: w.Value, Call: *w.Call, Return: *w.Return}
		if err := o.validate(); err != nil {
			return nil, fmt.Errorf("line %d: %v", line, err)
		}
		ops = append(ops, o)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %v", line+1, err)
	}
	return ops, nil
}

// WriteHistoryFile writes ops to a new file at path (WriteHistory).
func WriteHistoryFile(path string, ops []Operation) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := WriteHistory(f, ops); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// WriteHistory writes ops in the JSON-lines format that ReadHistory reads.
func WriteHistory(w io.Writer, ops []Operation) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i, o := range ops {
		if err := o.validate(); err != nil {
			return fmt.Errorf("operation %d: %v", i, err)
		}
		if err := enc.Encode(o); err != nil {
			return err
		}
	}
	return bw.Flush()
}
