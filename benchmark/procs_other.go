//go:build !linux

package benchmark

import "syscall"

// childAttr has no parent-death signal outside Linux: Close must run.
func childAttr() *syscall.SysProcAttr { return nil }
