package checker

import "sync"

// Recorder collects a history while clients run. It is safe for concurrent
// use, so every client goroutine of a benchmark can share one.
type Recorder struct {
	mu  sync.Mutex
	ops []Operation
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder { return &Recorder{} }

// Invoke records that client invoked op on key at time call, and returns a
// handle for Return. For a put, value is the value written; for a get or a
// delete it is ignored.
func (r *Recorder) Invoke(client int, op, key, value string, call int64) int {
	if op != "put" {
		value = ""
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ops = append(r.ops, Operation{Client: client, Op: op, Key: key, Value: value, Call: call, Return: -1})
	return len(r.ops) - 1
}

// Return records that the operation with handle h returned at time ret. For
// a get, value is the value it read ("" for an absent key); for a put or a
// delete it is ignored.
func (r *Recorder) Return(h int, value string, ret int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	o := &r.ops[h]
	if o.Op == "get" {
		o.Value = value
	}
	o.Return = ret
}

// Operations returns a copy of the history so far. Operations that have not
// returned are pending (Return is -1).
func (r *Recorder) Operations() []Operation {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Operation(nil), r.ops...)
}
