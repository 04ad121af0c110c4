package rawio

import (
	"net"
	"syscall"
	"unsafe"
)

// StillOpen peeks at an idle connection without blocking: one that the
// other end closed has left an end of file (or stray bytes) to read, an
// open one has nothing. A connection without a descriptor counts as
// open.
func StillOpen(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return true
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	open := false
	var b [1]byte
	err = raw.Read(func(fd uintptr) bool {
		for {
			_, _, errno := syscall.RawSyscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&b[0])), 1,
				syscall.MSG_PEEK|syscall.MSG_DONTWAIT, 0, 0)
			if errno != syscall.EINTR {
				open = errno == syscall.EAGAIN
				return true
			}
		}
	})
	return err == nil && open
}
