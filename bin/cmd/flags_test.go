package main

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/agora-consensus/agora/internal/cli/clitest"
)

func TestBadFlagsPrintTheErrorAndAHint(t *testing.T) {
	clitest.BadFlags(t, "cmd", func(args []string, stderr *bytes.Buffer) int {
		return run(args, strings.NewReader(""), io.Discard, stderr)
	},
		[]string{"-timeout", "5"}, "invalid argument \"5\"")
}
