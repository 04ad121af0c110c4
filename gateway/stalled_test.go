package gateway_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/picasso-faas/picasso/gateway"
)

// stall opens a connection, sends the headers of a request with a 1000
// byte body and only the first bytes of that body, and returns the
// connection, which then sends nothing more.
func stall(t *testing.T, h *harness, method, path string, headers ...string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(h.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	var extra strings.Builder
	for i := 0; i+1 < len(headers); i += 2 {
		fmt.Fprintf(&extra, "%s: %s\r\n", headers[i], headers[i+1])
	}
	if _, err := fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: picasso\r\nContent-Length: 1000\r\n%s\r\npartial", method, path, extra.String()); err != nil {
		t.Fatal(err)
	}
	return conn
}

// answerAndClose waits up to a minute (far beyond any deadline of these
// tests) for the server to answer on conn and then close it; it returns
// the status, or an error saying what happened instead.
func answerAndClose(conn net.Conn) (int, error) {
	conn.SetReadDeadline(time.Now().Add(time.Minute))
	r := bufio.NewReader(conn)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		return 0, fmt.Errorf("no answer: %w", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if _, err := r.ReadByte(); err != io.EOF {
		return resp.StatusCode, fmt.Errorf("connection still open after the answer (%v)", err)
	}
	return resp.StatusCode, nil
}

// TestStalledBodiesAreCut holds 1,000 connections that stop sending in the
// middle of a function call's body. Each is answered and closed once the
// call's deadline (route timeout plus margin) passes, and meanwhile other
// clients, another project's private calls included, are served.
func TestStalledBodiesAreCut(t *testing.T) {
	stalled := 1000
	if gateway.RaceEnabled {
		stalled = 200
	}
	h := newHarness(t, sqliteURI(t))
	app := h.createApp(projA, "member-a", "slow")
	h.createRoute(projA, "member-a", "slow", map[string]any{"path": "/pub", "image": "iron/echo", "is_public": true, "timeout": 1})
	h.createApp(projB, "member-b", "other")
	h.createRoute(projB, "member-b", "other", map[string]any{"path": "/priv", "image": "iron/echo"})

	conns := make([]net.Conn, stalled)
	for i := range conns {
		conns[i] = stall(t, h, "POST", "/r/"+app.BackendName+"/pub")
	}
	for range 5 {
		h.do(t, "GET", "/healthz", "", nil).expect(t, 200)
		h.do(t, "POST", "/r/"+projB+"/other/priv", "member-b", "hello").expect(t, 200)
	}

	var wg sync.WaitGroup
	errs := make([]error, stalled)
	for i, conn := range conns {
		wg.Go(func() {
			status, err := answerAndClose(conn)
			if err == nil && status < 500 {
				err = fmt.Errorf("status %d, want a 5xx for a call whose body never came", status)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("stalled call %d: %v", i, err)
		}
	}
}

// TestAnswersWithoutTheBodyAreDelivered stalls bodies on requests whose
// answer needs no body: the answer must arrive at once, long before the
// hour the body has, and the connection must be closed rather than left
// waiting for the rest of the body.
func TestAnswersWithoutTheBodyAreDelivered(t *testing.T) {
	h := newHarness(t, sqliteURI(t), func(c *gateway.Config, _ *gateway.Deps) { c.BodyReadTimeout = time.Hour })
	h.createApp(projA, "member-a", "fns")
	cases := []struct {
		name, method, path string
		headers            []string
		status             int
	}{
		{"private call without a token", "POST", "/r/" + projA + "/fns/priv", nil, 401},
		{"unknown public route", "POST", "/r/pf" + strings.Repeat("a", 30) + "/x", nil, 404},
		{"another project's apps", "POST", "/v1/" + projB + "/apps", []string{"X-Auth-Token", "member-a", "Content-Type", "application/json"}, 403},
		{"unknown path", "PUT", "/nowhere", nil, 404},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, err := answerAndClose(stall(t, h, c.method, c.path, c.headers...))
			if err != nil || status != c.status {
				t.Fatalf("status %d, %v; want %d and a closed connection", status, err, c.status)
			}
		})
	}
}
