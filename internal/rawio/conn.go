// Package rawio reads and writes TCP connections without telling the Go
// scheduler that a system call is under way.
//
// net.Conn's Read and Write are blocking-style system calls to the
// runtime: each enters and leaves a "syscall" state, in which the
// runtime's monitor thread may take the processor away and hand it to
// another thread, and the first such call after the process was idle
// wakes that monitor from its deep sleep. A socket of the netpoller is
// non-blocking, so its read and write return at once: the bookkeeping
// buys nothing, and at a gateway's rate of short calls the monitor's
// wake-ups and hand-offs cost more CPU than the reads and writes
// themselves (docs/benchmarks.md). Conn issues the same calls raw, and
// waits on the netpoller exactly as net.Conn does when a socket is not
// ready, so deadlines, cancellation and Close behave as before.
package rawio

import (
	"io"
	"net"
	"os"
	"syscall"
	"unsafe"
)

// Conn is a *net.TCPConn whose Read and Write are raw system calls.
type Conn struct {
	*net.TCPConn
	raw syscall.RawConn
}

// Wrap returns c as a Conn when it is a TCP connection, else c itself.
func Wrap(c net.Conn) net.Conn {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return c
	}
	return &Conn{TCPConn: tc, raw: raw}
}

// Read reads like net.Conn's Read: at most len(p) bytes, io.EOF at the
// end, errors wrapped in *net.OpError.
func (c *Conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var n int
	var errno syscall.Errno
	err := c.raw.Read(func(fd uintptr) bool {
		n, errno = rawCall(syscall.SYS_READ, fd, p)
		return errno != syscall.EAGAIN
	})
	switch {
	case err != nil:
		return 0, c.opError("read", err)
	case errno != 0:
		return 0, c.opError("read", os.NewSyscallError("read", errno))
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// Write writes all of p like net.Conn's Write, waiting for room as often
// as the socket's buffer is full.
func (c *Conn) Write(p []byte) (int, error) {
	var written int
	var errno syscall.Errno
	err := c.raw.Write(func(fd uintptr) bool {
		for written < len(p) {
			var n int
			n, errno = rawCall(syscall.SYS_WRITE, fd, p[written:])
			if errno == syscall.EAGAIN {
				return false
			}
			if errno != 0 {
				return true
			}
			written += n
		}
		return true
	})
	switch {
	case err != nil:
		return written, c.opError("write", err)
	case errno != 0:
		return written, c.opError("write", os.NewSyscallError("write", errno))
	}
	return written, nil
}

// rawCall is one read or write of p on fd, retried when a signal
// interrupted it: an interrupted call has not waited, and returning to
// the netpoller instead could wait for an edge that has already passed.
func rawCall(trap, fd uintptr, p []byte) (int, syscall.Errno) {
	if len(p) == 0 {
		return 0, 0
	}
	for {
		n, _, errno := syscall.RawSyscall(trap, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
		if errno != syscall.EINTR {
			return int(n), errno
		}
	}
}

// opError wraps err as net.Conn's Read and Write do. The raw connection
// has already wrapped its own errors (deadlines, a closed connection) as
// operation "raw-read" or "raw-write"; callers see "read" and "write".
func (c *Conn) opError(op string, err error) error {
	if raw, ok := err.(*net.OpError); ok {
		err = raw.Err
	}
	return &net.OpError{Op: op, Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}
