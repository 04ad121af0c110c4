package mariadbtest

import "syscall"

// procAttr makes the kernel kill the server if the test binary dies
// without running its cleanups, so no server outlives a crashed test.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
