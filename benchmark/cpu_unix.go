//go:build unix

package benchmark

import (
	"syscall"
	"time"
)

// processCPU is this process's user+system CPU so far; 0 if unknown.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
