// Command check decides whether a recorded history is linearizable.
//
//	check HISTORY [-html out.html] [-timeout 60s]
//
// HISTORY is a file in the format of docs/HISTORY.md, or - for standard
// input. The exit status is 0 when the history is linearizable, 1 when it
// is not (the explanation is printed), 2 on malformed input or usage, and 3
// when the time limit expired first ("unknown").
package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/agora-consensus/agora/checker"
	"github.com/agora-consensus/agora/internal/cli"
	"github.com/spf13/pflag"
)

const (
	exitOk        = 0
	exitIllegal   = 1
	exitMalformed = 2
	exitUnknown   = 3
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is main without the process around it, so tests can call it.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("check", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	htmlPath := fs.String("html", "", "write an HTML page with a timeline of the violation to this file")
	timeout := fs.Duration("timeout", 0, "give up and report unknown after this long (0: no limit)")
	minimize := fs.Duration("minimize-timeout", 10*time.Second, "time allowed for shrinking a violation to a few operations")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: check HISTORY [-html out.html] [-timeout 60s]")
		fs.PrintDefaults()
	}
	if err := cli.Parse(fs, args); err != nil {
		return exitMalformed
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitMalformed
	}
	in := stdin
	name := fs.Arg(0)
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return exitMalformed
		}
		defer f.Close()
		in = f
	}
	ops, err := checker.ReadHistory(in)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return exitMalformed
	}
	res := checker.CheckLinearizable(ops, checker.Options{Timeout: *timeout, MinimizeTimeout: *minimize})
	if *htmlPath != "" {
		if err := writeHTML(*htmlPath, ops, res); err != nil {
			fmt.Fprintln(stderr, err)
		}
	}
	fmt.Fprint(stdout, res.String())
	switch res.Verdict {
	case checker.Ok:
		return exitOk
	case checker.Illegal:
		return exitIllegal
	}
	return exitUnknown
}

func writeHTML(path string, ops []checker.Operation, res checker.Result) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := checker.WriteHTML(f, ops, res); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
