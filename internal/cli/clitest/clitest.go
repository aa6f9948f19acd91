// Package clitest holds what the command-line tools' tests share.
package clitest

import (
	"bytes"
	"strings"
	"testing"
)

// BadFlags checks that tool, run with an unknown, a misspelt or a malformed
// flag (badValue, e.g. []string{"-timeout", "5"}, and the text its error
// shows), exits 2 and names the flag with a hint on how to list the flags:
// a bad flag used to exit 2 without a word (issue 13). run runs the tool
// with the arguments and returns its exit code; it writes errors to stderr.
func BadFlags(t *testing.T, tool string, run func(args []string, stderr *bytes.Buffer) int, badValue []string, want string) {
	t.Helper()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-algoritm", "epaxos"}, "unknown flag -algoritm"},
		{[]string{"-bogus"}, "unknown flag -bogus"},
		{badValue, want},
	} {
		var stderr bytes.Buffer
		code := run(tc.args, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), tc.want) || !strings.Contains(stderr.String(), tool+" -h lists the flags") {
			t.Errorf("%s %q: exit %d, stderr %q; want exit 2 and %q with a hint", tool, tc.args, code, stderr.String(), tc.want)
		}
	}
}
