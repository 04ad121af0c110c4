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
	"sync"
	"syscall"
	"unsafe"
)

// Conn is a *net.TCPConn whose Read and Write are raw system calls.
type Conn struct {
	*net.TCPConn
	raw syscall.RawConn
	// One call in progress per direction, as net.Conn allows a Read and a
	// Write at once.
	reader, writer op
}

// op is one direction's call in progress. RawConn takes the call as a
// function, and a closure made per call escapes with everything it
// captures: three allocations per Read or Write. The functions are bound
// once, in Wrap, and find their buffer and leave their result here.
type op struct {
	mu     sync.Mutex
	p      []byte
	n      int
	errno  syscall.Errno
	call   func(fd uintptr) bool // read or write p
	peek   func(fd uintptr) bool // the reader's only: see StillOpen
	peeked [1]byte               // where peek looks
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
	conn := &Conn{TCPConn: tc, raw: raw}
	r, w := &conn.reader, &conn.writer
	r.call = func(fd uintptr) bool {
		r.n, r.errno = rawCall(syscall.SYS_READ, fd, r.p)
		return r.errno != syscall.EAGAIN
	}
	r.peek = func(fd uintptr) bool {
		r.errno = peek(fd, r.p)
		return true
	}
	w.call = func(fd uintptr) bool {
		for w.n < len(w.p) {
			var n int
			n, w.errno = rawCall(syscall.SYS_WRITE, fd, w.p[w.n:])
			if w.errno == syscall.EAGAIN {
				return false
			}
			if w.errno != 0 {
				return true
			}
			w.n += n
		}
		return true
	}
	return conn
}

// start takes o for a call on p; finish returns what the call left and
// drops p, the caller's buffer, not the Conn's.
func (o *op) start(p []byte) {
	o.mu.Lock()
	o.p, o.n, o.errno = p, 0, 0
}

func (o *op) finish() (int, syscall.Errno) {
	n, errno := o.n, o.errno
	o.p = nil
	o.mu.Unlock()
	return n, errno
}

// Read reads like net.Conn's Read: at most len(p) bytes, io.EOF at the
// end, errors wrapped in *net.OpError.
func (c *Conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.reader.start(p)
	err := c.raw.Read(c.reader.call)
	n, errno := c.reader.finish()
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
	c.writer.start(p)
	err := c.raw.Write(c.writer.call)
	written, errno := c.writer.finish()
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
