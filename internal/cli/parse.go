package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/pflag"
)

// Parse parses args into fs after DoubleDash. pflag with ContinueOnError
// prints nothing on a bad flag, so a tool used to exit 2 without a word;
// Parse prints one line to fs.Output() naming the flag, with the closest
// known flag if the name looks misspelt and how to list the flags. -h
// prints the usage (pflag does) and returns pflag.ErrHelp.
func Parse(fs *pflag.FlagSet, args []string) error {
	err := fs.Parse(DoubleDash(args))
	if err == nil || errors.Is(err, pflag.ErrHelp) {
		return err
	}
	msg := err.Error()
	var unknown *pflag.NotExistError
	if errors.As(err, &unknown) && unknown.GetSpecifiedName() != "" {
		name := unknown.GetSpecifiedName()
		msg = "unknown flag -" + name
		if s := closest(fs, name); s != "" {
			msg += " (did you mean -" + s + "?)"
		}
	}
	// Name flags the way the tools document them (-duration), not in the
	// form DoubleDash rewrote them to.
	fs.VisitAll(func(f *pflag.Flag) { msg = strings.ReplaceAll(msg, "--"+f.Name, "-"+f.Name) })
	fmt.Fprintf(fs.Output(), "%s: %s; %s -h lists the flags\n", fs.Name(), msg, fs.Name())
	return err
}

// closest returns the flag of fs nearest to name, if it is near enough to be
// a typo: at most a third of the letters differ.
func closest(fs *pflag.FlagSet, name string) string {
	best, bestD := "", len(name)/3+1
	fs.VisitAll(func(f *pflag.Flag) {
		if d := Distance(name, f.Name); d < bestD {
			best, bestD = f.Name, d
		}
	})
	return best
}

// Distance is the Levenshtein edit distance between a and b, for the
// tools' "did you mean" hints.
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
