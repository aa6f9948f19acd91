// Package cli holds what the command-line tools share.
package cli

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
)

// DoubleDash rewrites single-dash long flags (-id 1.1, Paxi's habit) to the
// double-dash form pflag parses (--id 1.1). The tools define no one-letter
// shorthands, so -n is --n too. Negative numbers, a lone "-" (standard
// input), pflag's own -h and arguments after "--" are left alone.
func DoubleDash(args []string) []string {
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		if len(a) >= 2 && a[0] == '-' && a != "-h" && (a[1] >= 'a' && a[1] <= 'z' || a[1] >= 'A' && a[1] <= 'Z') {
			a = "-" + a
		}
		out = append(out, a)
	}
	return out
}

// Logger builds a text logger on stderr at the named level.
func Logger(level string) (*slog.Logger, error) {
	var l slog.Level
	switch strings.ToLower(level) {
	case "debug":
		l = slog.LevelDebug
	case "info", "":
		l = slog.LevelInfo
	case "warn", "warning":
		l = slog.LevelWarn
	case "error":
		l = slog.LevelError
	default:
		return nil, fmt.Errorf("log level %q: want debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l})), nil
}
