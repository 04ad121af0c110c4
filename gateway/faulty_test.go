package gateway_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"
)

// fault is how a faultyLink treats the connections it accepts.
type fault int

const (
	passThrough   fault = iota // forward to the upstream untouched
	refuse                     // nothing listens: connections are refused
	hang                       // accept and read, never answer
	slow                       // forward after a delay longer than any deadline of the tests
	garbage                    // answer bytes that are not HTTP, then close
	resetEarly                 // read the request, then reset the connection
	resetMidBody               // answer 200 and part of a chunked body, then reset
	internalError              // answer 500 with a JSON error
)

// slowDelay outlasts every deadline the fault tests configure.
const slowDelay = 5 * time.Second

// faultyLink is a TCP hop in front of a dependency that can be switched
// between passing traffic and failing in the ways networks and servers
// fail. Switching closes every open connection, so keep-alive
// connections cannot outlive a fault.
type faultyLink struct {
	t        *testing.T
	upstream string
	addr     string

	mu     sync.Mutex
	fault  fault
	ln     net.Listener
	conns  map[net.Conn]bool
	cut    chan struct{} // closed when the open connections are cut
	closed bool
	wg     sync.WaitGroup
}

// newFaultyLink listens on a free loopback port in front of upstream
// (host:port); the test's cleanup closes it and waits for its goroutines.
func newFaultyLink(t *testing.T, upstream string) *faultyLink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &faultyLink{t: t, upstream: upstream, addr: ln.Addr().String(), conns: map[net.Conn]bool{}, cut: make(chan struct{})}
	l.serve(ln)
	t.Cleanup(l.close)
	return l
}

// URL is the link's base URL.
func (l *faultyLink) URL() string { return "http://" + l.addr }

// set switches the fault and cuts every open connection.
func (l *faultyLink) set(f fault) {
	l.t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fault = f
	l.cutLocked()
	switch {
	case f == refuse && l.ln != nil:
		l.ln.Close()
		l.ln = nil
	case f != refuse && l.ln == nil:
		// The dependency comes back where it was.
		ln, err := net.Listen("tcp", l.addr)
		if err != nil {
			l.t.Fatalf("listen again on %s: %v", l.addr, err)
		}
		l.serveLocked(ln)
	}
}

func (l *faultyLink) serve(ln net.Listener) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.serveLocked(ln)
}

func (l *faultyLink) serveLocked(ln net.Listener) {
	l.ln = ln
	l.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			l.mu.Lock()
			if l.closed {
				l.mu.Unlock()
				c.Close()
				return
			}
			l.conns[c] = true
			f, cut := l.fault, l.cut
			l.mu.Unlock()
			l.wg.Go(func() {
				defer l.forget(c)
				l.handle(c, f, cut)
			})
		}
	})
}

func (l *faultyLink) forget(c net.Conn) {
	c.Close()
	l.mu.Lock()
	delete(l.conns, c)
	l.mu.Unlock()
}

func (l *faultyLink) cutLocked() {
	for c := range l.conns {
		c.Close()
	}
	close(l.cut)
	l.cut = make(chan struct{})
}

func (l *faultyLink) close() {
	l.mu.Lock()
	l.closed = true
	if l.ln != nil {
		l.ln.Close()
	}
	l.cutLocked()
	l.mu.Unlock()
	l.wg.Wait()
}

func (l *faultyLink) handle(c net.Conn, f fault, cut <-chan struct{}) {
	switch f {
	case passThrough:
		l.forward(c)
	case hang:
		io.Copy(io.Discard, c)
	case slow:
		select {
		case <-time.After(slowDelay):
			l.forward(c)
		case <-cut:
		}
	case garbage:
		readRequestHead(c)
		io.WriteString(c, "\x00\xffthis is not HTTP\r\n\r\n")
	case resetEarly:
		readRequestHead(c)
		reset(c)
	case resetMidBody:
		readRequestHead(c)
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nthe first part, \r\n")
		time.Sleep(50 * time.Millisecond)
		reset(c)
	case internalError:
		readRequestHead(c)
		body := `{"error":{"message":"An unexpected error prevented the server from fulfilling your request.","code":500,"title":"Internal Server Error"}}`
		io.WriteString(c, "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body)
	}
}

// forward relays both directions until either side closes.
func (l *faultyLink) forward(c net.Conn) {
	up, err := net.Dial("tcp", l.upstream)
	if err != nil {
		reset(c)
		return
	}
	defer up.Close()
	done := make(chan struct{})
	go func() {
		io.Copy(up, c)
		up.(*net.TCPConn).CloseWrite()
		close(done)
	}()
	io.Copy(c, up)
	c.Close()
	<-done
}

func readRequestHead(c net.Conn) {
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	if req, err := http.ReadRequest(r); err == nil {
		io.Copy(io.Discard, io.LimitReader(req.Body, 1<<20))
	}
	c.SetReadDeadline(time.Time{})
}

// reset closes the connection with a TCP RST instead of a FIN.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}
