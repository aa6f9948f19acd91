//go:build !unix

package benchmark

import "time"

func processCPU() time.Duration { return 0 }
