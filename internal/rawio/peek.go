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
	switch c := c.(type) {
	case *Conn:
		// Without an allocation: the hop transport peeks at every
		// connection it reuses.
		c.reader.start(c.reader.peeked[:])
		err := c.raw.Read(c.reader.peek)
		_, errno := c.reader.finish()
		return err == nil && errno == syscall.EAGAIN
	case syscall.Conn:
		raw, err := c.SyscallConn()
		if err != nil {
			return false
		}
		var b [1]byte
		var errno syscall.Errno
		err = raw.Read(func(fd uintptr) bool {
			errno = peek(fd, b[:])
			return true
		})
		return err == nil && errno == syscall.EAGAIN
	}
	return true
}

// peek is one non-blocking look at what fd has to read, into p: EAGAIN
// when there is nothing.
func peek(fd uintptr, p []byte) syscall.Errno {
	for {
		_, _, errno := syscall.RawSyscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)),
			syscall.MSG_PEEK|syscall.MSG_DONTWAIT, 0, 0)
		if errno != syscall.EINTR {
			return errno
		}
	}
}
