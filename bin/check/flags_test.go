package main

import (
	"bytes"
	"strings"
	"testing"
)

// A bad flag used to exit 2 without a word (issue 13): it must name the
// flag and say how to list the flags.
func TestBadFlagsPrintTheErrorAndAHint(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-algoritm", "epaxos"}, "unknown flag -algoritm"},
		{[]string{"-bogus"}, "unknown flag -bogus"},
		{[]string{"-timeout", "5"}, "invalid argument \"5\""},
	} {
		var stdout, stderr bytes.Buffer
		code := run(tc.args, strings.NewReader(""), &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), tc.want) || !strings.Contains(stderr.String(), "check -h lists the flags") {
			t.Errorf("check %q: exit %d, stderr %q; want exit 2 and %q with a hint", tc.args, code, stderr.String(), tc.want)
		}
		_ = stdout
	}
}
