package driver

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"syscall"
	"time"
)

// MaxBufferedBody is the largest request body the hop transport sends
// from memory. A function call's body is nearly always this small; a
// larger one, or one of unknown length, streams through net/http's
// Transport instead.
const MaxBufferedBody = 64 << 10

// hopBufferSize sizes each connection's read and write buffers: the head
// and a small body of a call leave in one write, and an answer's head is
// read in one.
const hopBufferSize = 4 << 10

// hopTransport is the RoundTripper of every HTTP driver. The common call
// (plain HTTP, a body of known length up to MaxBufferedBody) is written
// and answered on the caller's goroutine over a pooled connection:
// request head and body in one write system call, the answer parsed by
// net/http's own reader, and no hand-off to the per-connection reader
// and writer goroutines that net/http's Transport wakes for every request
// (measured in docs/benchmarks.md: those hand-offs and the separate write
// of the body were most of a call's cost). Everything else (HTTPS,
// streamed and large bodies) goes through std, which writes and reads at
// the same time.
//
// fasthttp's HostClient offers the same shape, but it cannot cancel a
// call whose client has gone, and it would bring its own header rules on
// the hop that carries the gateway's header policy; net/http's wire
// format (Request.Write, ReadResponse) keeps those rules exactly.
type hopTransport struct {
	std         *http.Transport
	dial        func(ctx context.Context, network, addr string) (net.Conn, error)
	maxIdle     int
	idleTimeout time.Duration

	mu   sync.Mutex
	idle map[string][]*hopConn // per host:port, most recently used last
}

// hopConn is one kept-alive connection of the hop transport.
type hopConn struct {
	net.Conn
	br       *bufio.Reader
	bw       *bufio.Writer
	addr     string
	idleFrom time.Time
}

func newHopTransport(std *http.Transport, opts Options) *hopTransport {
	return &hopTransport{
		std: std, dial: std.DialContext,
		maxIdle: opts.MaxIdleConnsPerHost, idleTimeout: std.IdleConnTimeout,
		idle: map[string][]*hopConn{},
	}
}

// RoundTrip implements http.RoundTripper.
func (t *hopTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "http" || !bufferable(req) {
		return t.std.RoundTrip(req)
	}
	body, err := readBody(req)
	if err != nil {
		return nil, err
	}
	// Request.Write sends an in-memory body right after the head, in the
	// same buffered write. The copy is shallow: Write only reads the
	// header map.
	out := new(http.Request)
	*out = *req
	out.Body, out.ContentLength = nil, 0
	if len(body) > 0 {
		out.Body, out.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	}
	return t.send(req, out)
}

// bufferable says whether req's body is small and of known length.
func bufferable(req *http.Request) bool {
	if req.Body == nil || req.Body == http.NoBody {
		return true
	}
	return req.ContentLength > 0 && req.ContentLength <= MaxBufferedBody
}

// readBody reads and closes req's body, which must be exactly
// ContentLength bytes long, as net/http's Transport requires.
func readBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	defer req.Body.Close()
	body := make([]byte, req.ContentLength+1)
	n, err := io.ReadFull(req.Body, body)
	switch {
	case err == nil:
		return nil, fmt.Errorf("http: ContentLength=%d with a longer body", req.ContentLength)
	case errors.Is(err, io.ErrUnexpectedEOF) && int64(n) == req.ContentLength:
		return body[:n], nil
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return nil, fmt.Errorf("http: ContentLength=%d with body length %d", req.ContentLength, n)
	}
	return nil, err
}

// hostPort is the address to dial for u, an http URL: its port, or 80.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// send writes out on a connection and reads the answer to req. A
// connection kept alive from an earlier call is replaced by a new one,
// and the call sent again, only when writing to it failed: then the
// server cannot have seen the call.
func (t *hopTransport) send(req, out *http.Request) (*http.Response, error) {
	ctx := req.Context()
	for {
		c, reused, err := t.conn(ctx, hostPort(req.URL))
		if err != nil {
			return nil, err
		}
		resp, wrote, err := t.exchange(ctx, c, req, out)
		if err == nil {
			return resp, nil
		}
		c.Close()
		if err := contextError(ctx, err); err != nil {
			return nil, err
		}
		if !reused || wrote {
			return nil, err
		}
	}
}

// exchange sends out on c and reads the head of the answer; wrote tells
// whether the call left in full. The answer's body owns c.
func (t *hopTransport) exchange(ctx context.Context, c *hopConn, req, out *http.Request) (resp *http.Response, wrote bool, err error) {
	deadline, _ := ctx.Deadline()
	c.SetDeadline(deadline)
	// A call whose caller went away ends at once: the deadline in the
	// past fails the pending read or write.
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(aLongTimeAgo) })
	defer func() {
		if err != nil {
			stop()
		}
	}()
	if err := out.Write(c.bw); err != nil {
		return nil, false, err
	}
	if err := c.bw.Flush(); err != nil {
		return nil, false, err
	}
	for {
		resp, err = http.ReadResponse(c.br, req)
		if err != nil {
			return nil, true, err
		}
		// An informational answer (100 Continue, 103 Early Hints) comes
		// before the real one. A protocol switch is never asked for.
		if resp.StatusCode >= 200 || resp.StatusCode == http.StatusSwitchingProtocols {
			break
		}
	}
	if resp.StatusCode == http.StatusSwitchingProtocols {
		return nil, true, errors.New("backend switched protocols unasked")
	}
	keep := !resp.Close && !req.Close
	b := &hopBody{ctx: ctx, t: t, c: c, body: resp.Body, stop: stop, keep: keep}
	if resp.Body == http.NoBody {
		b.finish(true)
	} else {
		resp.Body = b
	}
	return resp, true, nil
}

var aLongTimeAgo = time.Unix(1, 0)

// contextError is err as the context's own error when the context ended
// it: canceled, or past its deadline (the connection's deadline is the
// context's, and may fire before the context's timer does).
func contextError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w: %w", ctx.Err(), err)
	}
	if deadline, ok := ctx.Deadline(); ok && errors.Is(err, os.ErrDeadlineExceeded) && !time.Now().Before(deadline) {
		return fmt.Errorf("%w: %w", context.DeadlineExceeded, err)
	}
	return nil
}

// stillOpen peeks at an idle connection without blocking: a server that
// closed it has left an end of file (or a stray answer) to read.
func stillOpen(c *hopConn) bool {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return true
	}
	raw, err := sc.SyscallConn()
	if err != nil || c.SetDeadline(time.Time{}) != nil {
		return false
	}
	open := false
	var b [1]byte
	err = raw.Read(func(fd uintptr) bool {
		_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		open = errors.Is(err, syscall.EAGAIN)
		return true
	})
	return err == nil && open
}

// conn returns an idle connection to addr that the server has not
// closed, or a new one.
func (t *hopTransport) conn(ctx context.Context, addr string) (c *hopConn, reused bool, err error) {
	for {
		c = t.takeIdle(addr)
		if c == nil {
			break
		}
		// A server restarts, or a link cuts its connections, at any
		// time: one non-blocking peek (a single system call) costs less
		// than a call failed on a connection that is gone.
		if stillOpen(c) {
			return c, true, nil
		}
		c.Close()
	}
	nc, err := t.dial(ctx, "tcp", addr)
	if err != nil {
		return nil, false, err
	}
	return &hopConn{Conn: nc, br: bufio.NewReaderSize(nc, hopBufferSize), bw: bufio.NewWriterSize(nc, hopBufferSize), addr: addr}, false, nil
}

// takeIdle returns the connection to addr used last, closing those idle
// for longer than the idle timeout.
func (t *hopTransport) takeIdle(addr string) *hopConn {
	var expired []*hopConn
	defer func() {
		for _, c := range expired {
			c.Close()
		}
	}()
	t.mu.Lock()
	defer t.mu.Unlock()
	for conns := t.idle[addr]; len(conns) > 0; conns = t.idle[addr] {
		c := conns[len(conns)-1]
		conns[len(conns)-1] = nil
		t.idle[addr] = conns[:len(conns)-1]
		if time.Since(c.idleFrom) < t.idleTimeout {
			return c
		}
		expired = append(expired, c)
	}
	return nil
}

// putIdle keeps c for the next call, unless the pool is full.
func (t *hopTransport) putIdle(c *hopConn) {
	c.idleFrom = time.Now()
	t.mu.Lock()
	if len(t.idle[c.addr]) < t.maxIdle {
		t.idle[c.addr] = append(t.idle[c.addr], c)
		c = nil
	}
	t.mu.Unlock()
	if c != nil {
		c.Close()
	}
}

// CloseIdleConnections closes the kept-alive connections of both paths;
// http.Client.CloseIdleConnections calls it.
func (t *hopTransport) CloseIdleConnections() {
	t.mu.Lock()
	idle := t.idle
	t.idle = map[string][]*hopConn{}
	t.mu.Unlock()
	for _, conns := range idle {
		for _, c := range conns {
			c.Close()
		}
	}
	t.std.CloseIdleConnections()
}

// hopBody is an answer's body; reading it to the end gives its connection
// back to the pool, closing it early closes the connection.
type hopBody struct {
	ctx  context.Context
	t    *hopTransport
	c    *hopConn
	body io.ReadCloser
	stop func() bool
	keep bool

	mu   sync.Mutex
	done bool
}

func (b *hopBody) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	switch {
	case err == io.EOF:
		b.finish(true)
	case err != nil:
		if ctxErr := contextError(b.ctx, err); ctxErr != nil {
			err = ctxErr
		}
	}
	return n, err
}

func (b *hopBody) Close() error {
	b.finish(false)
	return nil
}

// finish ends the call once: the connection is kept only for an answer
// read to its end whose call was not canceled meanwhile (the cancel has
// then spoiled the connection's deadline).
func (b *hopBody) finish(complete bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return
	}
	b.done = true
	if b.stop() && complete && b.keep && b.c.br.Buffered() == 0 {
		b.t.putIdle(b.c)
		return
	}
	b.c.Close()
}
