//go:build !linux

package mariadbtest

import "syscall"

// procAttr has nothing to add where the kernel offers no parent-death
// signal; the test's cleanup still stops the server.
func procAttr() *syscall.SysProcAttr { return nil }
