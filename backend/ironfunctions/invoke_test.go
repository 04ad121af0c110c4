package ironfunctions_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/backend/ironfunctions"
	"github.com/picasso-faas/picasso/backend/ironfunctionstest"
)

// setup returns a fake holding testApp, a client, and a route created with
// image at path.
func setup(t *testing.T, opts ironfunctions.Options, path, image string) (*ironfunctionstest.Server, *ironfunctions.Client, *picasso.Route) {
	t.Helper()
	srv := newFake(t)
	c := newClient(t, srv.URL(), opts)
	if err := c.CreateApp(ctx, testApp); err != nil {
		t.Fatal(err)
	}
	r := testRoute(path)
	r.Image = image
	if err := c.CreateRoute(ctx, testApp, r); err != nil {
		t.Fatal(err)
	}
	return srv, c, r
}

func callOf(r *picasso.Route, body string) *picasso.Call {
	return &picasso.Call{
		App:       testApp,
		Route:     r,
		Method:    "POST",
		RawQuery:  "a=1&b=%20",
		Header:    http.Header{"X-Trace": {"t"}, "Content-Type": {"text/plain"}},
		Body:      strings.NewReader(body),
		RequestID: "req-42",
	}
}

func deadline(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestInvokeSyncPassesTheRequestThrough(t *testing.T) {
	srv, c, r := setup(t, ironfunctions.Options{}, "/echo", "iron/echo")
	call := callOf(r, "hello")
	res, err := c.Invoke(deadline(t, 5*time.Second), call)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var echo ironfunctionstest.Echo
	if err := json.NewDecoder(res.Body).Decode(&echo); err != nil {
		t.Fatal(err)
	}
	if res.Status != 200 || echo.Payload != "hello" || echo.Env["HEADER_X_TRACE"] != "t" ||
		echo.Env["HEADER_X_OPENSTACK_REQUEST_ID"] != "req-42" || echo.Env["A"] != "1" {
		t.Errorf("result %d, echo %+v", res.Status, echo)
	}
	if !strings.HasSuffix(echo.Env["REQUEST_URL"], "/r/pfabc/echo?a=1&b=%20") {
		t.Errorf("REQUEST_URL = %q", echo.Env["REQUEST_URL"])
	}
	if _, ok := call.Header["X-Openstack-Request-Id"]; ok {
		t.Error("Invoke modified the caller's header map")
	}
	calls := srv.Calls()
	if len(calls) != 1 || calls[0].Method != "POST" || calls[0].Header.Get("X-Auth-Token") != "" {
		t.Errorf("recorded calls = %+v", calls)
	}
}

// TestAsyncRouteRunsSync: an async route is created on IronFunctions as a
// sync route, so that Picasso's worker gets the function's answer.
func TestAsyncRouteRunsSync(t *testing.T) {
	srv, c, r := setup(t, ironfunctions.Options{}, "/bg", "iron/echo")
	r.Type = picasso.RouteAsync
	if err := c.UpdateRoute(ctx, testApp, r); err != nil {
		t.Fatal(err)
	}
	res, err := c.Invoke(deadline(t, 5*time.Second), callOf(r, "queued"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	calls := srv.Calls()
	if res.Status != 200 || res.CallID != "" || len(calls) != 1 || calls[0].Async {
		t.Errorf("result %+v, calls %+v", res, calls)
	}
}

func TestInvokeErrors(t *testing.T) {
	srv, c, r := setup(t, ironfunctions.Options{}, "/f", ironfunctionstest.ImageFail)
	_, err := c.Invoke(deadline(t, 5*time.Second), callOf(r, ""))
	wantError(t, "failing function", err, picasso.EBADGATEWAY, "Function failed")

	srv.FailNext(1, http.StatusServiceUnavailable)
	_, err = c.Invoke(deadline(t, 5*time.Second), callOf(r, ""))
	wantError(t, "503", err, picasso.EUNAVAILABLE, "Backend unavailable")

	if err := c.DeleteRoute(ctx, testApp, r.Path); err != nil {
		t.Fatal(err)
	}
	_, err = c.Invoke(deadline(t, 5*time.Second), callOf(r, ""))
	wantError(t, "missing route", err, picasso.EBADGATEWAY, "Route is missing on the backend")

	srv.SetDown(true)
	_, err = c.Invoke(deadline(t, 5*time.Second), callOf(r, ""))
	wantError(t, "dying server", err, picasso.EBADGATEWAY, "Backend unreachable")
}

func TestInvokeHonoursTheDeadline(t *testing.T) {
	srv, c, r := setup(t, ironfunctions.Options{InvokeMargin: 50 * time.Millisecond}, "/s", ironfunctionstest.ImageSleep)
	srv.SetHang(true)

	start := time.Now()
	_, err := c.Invoke(deadline(t, 100*time.Millisecond), callOf(r, ""))
	wantError(t, "hanging backend", err, picasso.ETIMEOUT, "Function timed out")

	// Without a deadline on ctx, the route's timeout plus the margin.
	_, err = c.Invoke(context.Background(), callOf(r, ""))
	wantError(t, "hanging backend, no deadline", err, picasso.ETIMEOUT, "Function timed out")
	if elapsed := time.Since(start); elapsed > 10*time.Second {
		t.Errorf("timeouts took %v", elapsed)
	}

	srv.SetHang(false)
	_, err = c.Invoke(deadline(t, 5*time.Second), callOf(r, ""))
	wantError(t, "504 from the backend", err, picasso.ETIMEOUT, "Function timed out")
}

func TestInvokeDeadlineWhileStreaming(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	c := newClient(t, srv.URL, ironfunctions.Options{})
	res, err := c.Invoke(deadline(t, 200*time.Millisecond), callOf(testRoute("/x"), ""))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if string(b) != "partial" {
		t.Errorf("read %q before the deadline", b)
	}
	wantError(t, "reading past the deadline", err, picasso.ETIMEOUT, "Function timed out")
}

func BenchmarkInvoke(b *testing.B) {
	srv := ironfunctionstest.New()
	defer srv.Close()
	c, err := ironfunctions.New(srv.URL(), ironfunctions.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close(context.Background())
	if err := c.CreateApp(ctx, testApp); err != nil {
		b.Fatal(err)
	}
	r := testRoute("/bench")
	if err := c.CreateRoute(ctx, testApp, r); err != nil {
		b.Fatal(err)
	}
	header := http.Header{"Content-Type": {"text/plain"}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		res, err := c.Invoke(ctx, &picasso.Call{
			App: testApp, Route: r, Method: "POST", Header: header,
			Body: strings.NewReader("payload"), RequestID: "req",
		})
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		cancel()
	}
}
