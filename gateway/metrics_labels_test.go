package gateway_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/picasso-faas/picasso/gateway"
)

// TestClientChosenMethodsAddNoSeries sends 50,000 requests (5,000 under
// the race detector) with distinct
// method names on one keep-alive connection: the number of request series
// in /metrics must not move, whatever the client sends.
func TestClientChosenMethodsAddNoSeries(t *testing.T) {
	h := newHarness(t, sqliteURI(t))
	requests := 50000
	if gateway.RaceEnabled {
		requests /= 10
	}
	send := func(method string, n int) {
		conn, err := net.Dial("tcp", strings.TrimPrefix(h.url, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		written := make(chan error, 1)
		go func() {
			w := bufio.NewWriterSize(conn, 64<<10)
			for i := range n {
				fmt.Fprintf(w, "%s%d /healthz HTTP/1.1\r\nHost: picasso\r\n\r\n", method, i)
			}
			written <- w.Flush()
		}()
		r := bufio.NewReaderSize(conn, 64<<10)
		for i := range n {
			resp, err := http.ReadResponse(r, nil)
			if err != nil {
				t.Fatalf("response %d: %v", i, err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		if err := <-written; err != nil {
			t.Fatal(err)
		}
	}
	series := func() int {
		body := string(h.do(t, "GET", "/metrics", "", nil).expect(t, 200).Body)
		return strings.Count(body, "\npicasso_http_request_duration_seconds_count{")
	}
	send("WARMUP", 1)
	series() // the first scrape adds the series of /metrics itself
	before := series()
	send("M", requests)
	if after := series(); after != before {
		t.Fatalf("%d distinct methods grew the request series from %d to %d", requests, before, after)
	}
}
