// Package longtest is the switch for the long test suites: the swarms and
// larger simulations that the default `go test ./...` leaves out so that it
// stays within a couple of minutes on a two-core machine. AGORA_LONG=1 turns
// them on; CI runs them as a step of their own (.ci/run).
package longtest

import (
	"os"
	"testing"
)

// Env is the environment variable that turns the long suites on.
const Env = "AGORA_LONG"

// Enabled reports whether AGORA_LONG asks for the long suites (any value
// but "" and "0").
func Enabled() bool {
	v := os.Getenv(Env)
	return v != "" && v != "0"
}

// Skip skips t unless the long suites are on, saying how to run it.
func Skip(t testing.TB) {
	t.Helper()
	if !Enabled() {
		t.Skip("long test: set AGORA_LONG=1 to run it")
	}
}

// Pick returns short under -short, long when the long suites are on, and
// normal otherwise: the size of a test that runs in every mode.
func Pick[T any](short, normal, long T) T {
	switch {
	case testing.Short():
		return short
	case Enabled():
		return long
	}
	return normal
}
