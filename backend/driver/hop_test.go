package driver

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// countingDialer counts the connections the hop transport opens and the
// writes made on them.
type countingDialer struct {
	dials, writes atomic.Int64
	dial          func(ctx context.Context, network, addr string) (net.Conn, error)
}

func (d *countingDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.dials.Add(1)
	c, err := d.dial(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, writes: &d.writes}, nil
}

type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

// SyscallConn lets the transport peek at the connection underneath.
func (c *countingConn) SyscallConn() (syscall.RawConn, error) {
	return c.Conn.(syscall.Conn).SyscallConn()
}

func (c *countingConn) Write(b []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(b)
}

// hopClient returns a client of the drivers' policy whose hop transport
// dials through a counting dialer.
func hopClient(t *testing.T) (*http.Client, *countingDialer) {
	t.Helper()
	client := NewHTTPClient(Options{})
	hop := client.Transport.(*hopTransport)
	d := &countingDialer{dial: hop.dial}
	hop.dial = d.DialContext
	t.Cleanup(client.CloseIdleConnections)
	return client, d
}

// echo answers every request with its body.
func echo(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Write(body)
}

// echoBackend is an echo server and a hop client counting its dials.
func echoBackend(t *testing.T) (*httptest.Server, *http.Client, *countingDialer) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(echo))
	t.Cleanup(srv.Close)
	client, d := hopClient(t)
	return srv, client, d
}

func post(t *testing.T, ctx context.Context, client *http.Client, url string, body []byte) (*http.Response, error) {
	t.Helper()
	var reader io.Reader = http.NoBody
	if len(body) > 0 {
		reader = io.NopCloser(bytes.NewReader(body))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, reader)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(body))
	return client.Do(req)
}

func expectEcho(t *testing.T, client *http.Client, url string, body []byte) {
	t.Helper()
	resp, err := post(t, context.Background(), client, url, body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK || !bytes.Equal(got, body) {
		t.Fatalf("answer %d %q (%v), want 200 %q", resp.StatusCode, got, err, body)
	}
}

func TestHopSendsASmallCallInOneWriteAndKeepsTheConnection(t *testing.T) {
	srv, client, d := echoBackend(t)
	// An opaque reader, as the gateway's bounded body is: net/http's
	// Transport would write its head and its body apart.
	expectEcho(t, client, srv.URL, []byte(`{"name":"bench"}`))
	if n := d.writes.Load(); n != 1 {
		t.Errorf("a 16-byte call took %d writes, want 1", n)
	}
	for range 5 {
		expectEcho(t, client, srv.URL, []byte("again"))
	}
	if n := d.dials.Load(); n != 1 {
		t.Errorf("6 calls in a row opened %d connections, want 1", n)
	}
}

func TestHopReplacesAConnectionTheServerClosed(t *testing.T) {
	srv, client, d := echoBackend(t)
	expectEcho(t, client, srv.URL, []byte("one"))
	srv.CloseClientConnections()
	// The close reaches the client's socket asynchronously.
	time.Sleep(50 * time.Millisecond)
	expectEcho(t, client, srv.URL, []byte("two"))
	if n := d.dials.Load(); n != 2 {
		t.Errorf("%d connections, want 2 (the closed one replaced)", n)
	}
}

func TestHopCancelEndsAPendingCall(t *testing.T) {
	arrived, release := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-release
	}))
	defer srv.Close()
	defer close(release)
	client, d := hopClient(t)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-arrived; cancel() }()
	_, err := post(t, ctx, client, srv.URL, []byte("x"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if n := d.dials.Load(); n != 1 {
		t.Fatalf("%d connections", n)
	}
}

func TestHopDeadlineIsDeadlineExceeded(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	client, _ := hopClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	resp, err := post(t, ctx, client, srv.URL, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := io.ReadAll(resp.Body); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("reading past the deadline: %v, want context.DeadlineExceeded", err)
	}
}

func TestHopDropsAConnectionWhoseAnswerWasNotRead(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			w.Write(bytes.Repeat([]byte("x"), 1<<20))
			return
		}
		echo(w, r)
	}))
	defer srv.Close()
	client, d := hopClient(t)
	resp, err := post(t, context.Background(), client, srv.URL+"/big", nil)
	if err != nil {
		t.Fatal(err)
	}
	io.ReadFull(resp.Body, make([]byte, 100))
	resp.Body.Close()
	// The rest of the big answer must not be taken for the next answer.
	expectEcho(t, client, srv.URL, []byte("next"))
	if n := d.dials.Load(); n != 2 {
		t.Errorf("%d connections, want 2 (the half-read one closed)", n)
	}
}

func TestHopKeepsNoConnectionTheServerEnds(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		echo(w, r)
	}))
	defer srv.Close()
	client, d := hopClient(t)
	expectEcho(t, client, srv.URL, []byte("one"))
	expectEcho(t, client, srv.URL, []byte("two"))
	if n := d.dials.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
}

func TestHopSkipsInformationalAnswers(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		echo(w, r)
	}))
	defer srv.Close()
	client, _ := hopClient(t)
	expectEcho(t, client, srv.URL, []byte("final"))
}

func TestHopLeavesLargeAndStreamedBodiesToTheTransport(t *testing.T) {
	srv, client, d := echoBackend(t)
	expectEcho(t, client, srv.URL, bytes.Repeat([]byte("y"), MaxBufferedBody+1))
	req, err := http.NewRequest(http.MethodPost, srv.URL, io.MultiReader(strings.NewReader("of unknown "), strings.NewReader("length")))
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = -1
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(got) != "of unknown length" {
		t.Errorf("streamed body came back as %q", got)
	}
	if n := d.dials.Load(); n != 0 {
		t.Errorf("the hop path opened %d connections for bodies it does not buffer", n)
	}
}

func TestHopRefusesABodyOfTheWrongLength(t *testing.T) {
	srv, client, d := echoBackend(t)
	for _, length := range []int64{3, 10} {
		req, err := http.NewRequest(http.MethodPost, srv.URL, io.NopCloser(strings.NewReader("12345")))
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = length
		if _, err := client.Do(req); err == nil || !strings.Contains(err.Error(), "ContentLength") {
			t.Errorf("Content-Length %d with a 5-byte body: %v, want an error", length, err)
		}
	}
	if n := d.dials.Load(); n != 0 {
		t.Errorf("%d connections opened for calls that could not be sent", n)
	}
}

func TestHopDialsPort80WhenTheURLHasNone(t *testing.T) {
	for raw, want := range map[string]string{
		"http://fn/r/app":          "fn:80",
		"http://fn:8080/r/app":     "fn:8080",
		"http://[::1]/r/app":       "[::1]:80",
		"http://127.0.0.1:9/r/app": "127.0.0.1:9",
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := hostPort(u); got != want {
			t.Errorf("hostPort(%s) = %s, want %s", raw, got, want)
		}
	}
}
