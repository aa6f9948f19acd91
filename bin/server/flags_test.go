package main

import (
	"bytes"
	"testing"

	"github.com/agora-consensus/agora/internal/cli/clitest"
)

func TestBadFlagsPrintTheErrorAndAHint(t *testing.T) {
	clitest.BadFlags(t, "server", func(args []string, stderr *bytes.Buffer) int { return run(args, stderr) },
		[]string{"-fresh=maybe"}, "invalid argument \"maybe\"")
}
