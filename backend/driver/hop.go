package driver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
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
// request head and body in one write system call (hopwrite.go writes
// them as Request.Write would), the answer parsed by net/http's own
// reader, and no hand-off to the per-connection reader
// and writer goroutines that net/http's Transport wakes for every request
// (measured in docs/benchmarks.md: those hand-offs and the separate write
// of the body were most of a call's cost). Everything else (HTTPS,
// streamed and large bodies) goes through std, which writes and reads at
// the same time.
//
// fasthttp's HostClient offers the same shape, but it cannot cancel a
// call whose client has gone, and it would bring its own header rules on
// the hop that carries the gateway's header policy; net/http's wire
// format (Request.Write's bytes, ReadResponse) keeps those rules exactly.
type hopTransport struct {
	std         *http.Transport
	dial        func(ctx context.Context, network, addr string) (net.Conn, error)
	maxIdle     int
	idleTimeout time.Duration

	mu   sync.Mutex
	idle map[string][]*hopConn // per URL host, most recently used last
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
	if req.URL.Scheme != "http" || !bufferable(req) || !plain(req) {
		return t.std.RoundTrip(req)
	}
	body, err := readBody(req)
	if err != nil {
		return nil, err
	}
	return t.send(req, body)
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

// send writes req with body on a connection and reads the answer. A
// connection kept alive from an earlier call is replaced by a new one,
// and the call sent again, only when writing to it failed: then the
// server cannot have seen the call.
func (t *hopTransport) send(req *http.Request, body []byte) (*http.Response, error) {
	ctx := req.Context()
	for {
		c, reused, err := t.conn(ctx, req.URL)
		if err != nil {
			return nil, err
		}
		resp, wrote, err := t.exchange(ctx, c, req, body)
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

// exchange sends req with body on c and reads the head of the answer;
// wrote tells whether the call left in full. The answer's body owns c.
func (t *hopTransport) exchange(ctx context.Context, c *hopConn, req *http.Request, body []byte) (resp *http.Response, wrote bool, err error) {
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
	if err := writeRequest(c.bw, req, body); err != nil {
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
