package main

import (
	"bytes"
	"io"
	"testing"

	"github.com/agora-consensus/agora/internal/cli/clitest"
)

func TestBadFlagsPrintTheErrorAndAHint(t *testing.T) {
	clitest.BadFlags(t, "sim", func(args []string, stderr *bytes.Buffer) int { return run(args, io.Discard, stderr) },
		[]string{"-duration", "5"}, "invalid argument \"5\"")
}
