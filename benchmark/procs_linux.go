package benchmark

import "syscall"

// childAttr makes the kernel SIGKILL a replica if the process that started
// it dies, so that even a killed test or tool leaves no stray server.
func childAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }
