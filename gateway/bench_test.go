package gateway_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/backend/ironfunctions"
	"github.com/picasso-faas/picasso/gateway"
	"github.com/picasso-faas/picasso/internal/testdb"
	"github.com/picasso-faas/picasso/store"
)

// The benchmarks call the gateway's handler directly, with a reused
// request and response writer, so that ns/op and allocs/op are the
// gateway's (plus the backend client's in the proxy-path benchmarks).

var (
	benchBody     = []byte(`{"name":"bench"}`)
	benchResponse = []byte("Hello World!\n")
)

// fixedBackend answers every call at once with benchResponse: the
// gateway's cost without any network.
type fixedBackend struct{ picasso.Backend }

func (fixedBackend) Invoke(_ context.Context, call *picasso.Call) (*picasso.CallResult, error) {
	io.Copy(io.Discard, call.Body)
	return &picasso.CallResult{
		Status: http.StatusOK,
		Header: http.Header{"Content-Type": {"text/plain; charset=utf-8"}},
		Body:   io.NopCloser(bytes.NewReader(benchResponse)),
	}, nil
}

// benchGateway is a gateway with one app of projA holding a public route
// /hello and a private route /private.
type benchGateway struct {
	handler     http.Handler
	backendName string
}

func newBenchGateway(b *testing.B, backend picasso.Backend) *benchGateway {
	b.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, testdb.SQLiteURI(b), store.Options{AutoMigrate: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	app := &picasso.App{ProjectID: projA, Name: "bench", BackendName: picasso.BackendName(projA, "bench")}
	if err := db.CreateApp(ctx, app); err != nil {
		b.Fatal(err)
	}
	for _, r := range []*picasso.Route{{AppID: app.ID, Path: "/hello", IsPublic: true}, {AppID: app.ID, Path: "/private"}} {
		r.Image = "bench"
		r.ApplyDefaults()
		if err := db.CreateRoute(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
	registry := prometheus.NewRegistry()
	gw := gateway.NewServer(gateway.Config{}, gateway.Deps{
		Store: db, Backend: backend, Auth: testTokens, Policy: testPolicy{},
		Registerer: registry, Gatherer: registry,
	})
	return &benchGateway{handler: gw, backendName: app.BackendName}
}

// discardWriter is a reusable http.ResponseWriter.
type discardWriter struct {
	header http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.header }
func (w *discardWriter) WriteHeader(status int)      { w.status = status }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }

// serveLoop sends b.N identical requests and fails unless each gets 200.
func serveLoop(b *testing.B, h http.Handler, target string, header http.Header) {
	body := bytes.NewReader(benchBody)
	req := httptest.NewRequest(http.MethodPost, target, nil)
	req.Body = io.NopCloser(body)
	req.ContentLength = int64(len(benchBody))
	// As net/http's server leaves it in a request's header.
	req.Header = header.Clone()
	req.Header.Set("Content-Length", strconv.Itoa(len(benchBody)))
	w := &discardWriter{header: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		body.Reset(benchBody)
		clear(w.header)
		w.status = 0
		h.ServeHTTP(w, req)
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
}

// BenchmarkPublicCall is the gateway's own cost of a public call:
// routing, request id, route cache, header filtering, metrics, access log
// (discarded), streaming the answer.
func BenchmarkPublicCall(b *testing.B) {
	g := newBenchGateway(b, fixedBackend{})
	serveLoop(b, g.handler, "/r/"+g.backendName+"/hello", http.Header{})
}

// BenchmarkPrivateCall adds token authentication (an in-memory table,
// like a token cache hit) and the policy check.
func BenchmarkPrivateCall(b *testing.B) {
	g := newBenchGateway(b, fixedBackend{})
	serveLoop(b, g.handler, "/r/"+projA+"/bench/private", http.Header{"X-Auth-Token": {"member-a"}})
}

// functionServer is an IronFunctions-like /r/ endpoint answering the
// fixed body.
func functionServer(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Write(benchResponse)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkProxyPath is a public call through the real IronFunctions
// client over loopback HTTP: what Picasso does per call in production,
// minus the caller's side of the connection.
func BenchmarkProxyPath(b *testing.B) {
	srv := functionServer(b)
	backend, err := ironfunctions.New(srv.URL, ironfunctions.Options{})
	if err != nil {
		b.Fatal(err)
	}
	g := newBenchGateway(b, backend)
	serveLoop(b, g.handler, "/r/"+g.backendName+"/hello", http.Header{})
}

// BenchmarkBareReverseProxy is BenchmarkProxyPath's floor: the standard
// library's reverse proxy with a keep-alive transport, doing nothing else.
func BenchmarkBareReverseProxy(b *testing.B) {
	srv := functionServer(b)
	u, err := url.Parse(srv.URL)
	if err != nil {
		b.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.Transport = &http.Transport{MaxIdleConnsPerHost: 256, DisableCompression: true}
	serveLoop(b, proxy, "/r/pfbench/hello", http.Header{})
}
