package driver

import (
	"bufio"
	"context"
	"net"
	"net/url"
	"time"

	"github.com/picasso-faas/picasso/internal/rawio"
)

// hopConn is one kept-alive connection of the hop transport.
type hopConn struct {
	net.Conn
	br       *bufio.Reader
	bw       *bufio.Writer
	host     string // the pool's key
	idleFrom time.Time
}

// conn returns an idle connection to u's host that the server has not
// closed, or a new one. The pool is keyed by the URL's host as written,
// so that a call computes no address unless it dials.
func (t *hopTransport) conn(ctx context.Context, u *url.URL) (c *hopConn, reused bool, err error) {
	for {
		c = t.takeIdle(u.Host)
		if c == nil {
			break
		}
		// A server restarts, or a link cuts its connections, at any
		// time: one non-blocking peek (a single system call) costs less
		// than a call failed on a connection that is gone.
		if c.SetDeadline(time.Time{}) == nil && rawio.StillOpen(c.Conn) {
			return c, true, nil
		}
		c.Close()
	}
	nc, err := t.dial(ctx, "tcp", hostPort(u))
	if err != nil {
		return nil, false, err
	}
	nc = rawio.Wrap(nc)
	return &hopConn{Conn: nc, br: bufio.NewReaderSize(nc, hopBufferSize), bw: bufio.NewWriterSize(nc, hopBufferSize), host: u.Host}, false, nil
}

// takeIdle returns the connection to host used last, closing those idle
// for longer than the idle timeout.
func (t *hopTransport) takeIdle(host string) *hopConn {
	var expired []*hopConn
	defer func() {
		for _, c := range expired {
			c.Close()
		}
	}()
	t.mu.Lock()
	defer t.mu.Unlock()
	for conns := t.idle[host]; len(conns) > 0; conns = t.idle[host] {
		c := conns[len(conns)-1]
		conns[len(conns)-1] = nil
		t.idle[host] = conns[:len(conns)-1]
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
	if len(t.idle[c.host]) < t.maxIdle {
		t.idle[c.host] = append(t.idle[c.host], c)
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
