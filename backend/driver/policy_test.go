package driver_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/backend/driver"
	"github.com/picasso-faas/picasso/backend/fn"
	"github.com/picasso-faas/picasso/backend/ironfunctions"
)

// The HTTP drivers; the local runtime makes no HTTP requests.
var httpDrivers = map[string]func(baseURL string) (driver.Driver, error){
	"ironfunctions": func(u string) (driver.Driver, error) { return ironfunctions.New(u, ironfunctions.Options{}) },
	"fn":            func(u string) (driver.Driver, error) { return fn.New(u, fn.Options{}) },
}

// proxy stands in for a proxy configured in the environment: it counts
// what reaches it and answers like a backend would, so that a driver
// using it would seem to work.
var (
	proxyHits atomic.Int64
	proxy     = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxyHits.Add(1)
		w.Write([]byte(`{"version":"0.0.1"}`))
	}))
)

// TestMain sets the proxy variables before anything reads them: net/http
// reads the environment once per process.
func TestMain(m *testing.M) {
	for _, name := range []string{"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"} {
		os.Setenv(name, proxy.URL)
	}
	os.Unsetenv("NO_PROXY")
	os.Unsetenv("no_proxy")
	code := m.Run()
	proxy.Close()
	os.Exit(code)
}

// exercise makes one call of each kind: readiness, management, invocation.
func exercise(t *testing.T, d driver.Driver) map[string]error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	t.Cleanup(func() { d.Close(context.Background()) })
	_, listErr := d.ListApps(ctx)
	res, invokeErr := d.Invoke(ctx, &picasso.Call{
		App:    &picasso.App{BackendName: "pfapp"},
		Route:  &picasso.Route{Path: "/hello", Type: picasso.RouteSync, Timeout: 5},
		Method: http.MethodPost,
		Header: http.Header{},
		Body:   strings.NewReader("hello"),
	})
	if invokeErr == nil {
		res.Body.Close()
		if res.Status < 300 || res.Status > 399 {
			t.Errorf("Invoke answered %d: the redirect was followed", res.Status)
		}
	}
	return map[string]error{"Ping": d.Ping(ctx), "ListApps": listErr, "Invoke": invokeErr}
}

func TestNoDriverFollowsARedirect(t *testing.T) {
	var elsewhereHits atomic.Int64
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhereHits.Add(1)
		w.Write([]byte(`{"version":"0.0.1","apps":[],"items":[]}`))
	}))
	defer elsewhere.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	}))
	defer redirector.Close()

	for name, newDriver := range httpDrivers {
		t.Run(name, func(t *testing.T) {
			d, err := newDriver(redirector.URL)
			if err != nil {
				t.Fatal(err)
			}
			for call, err := range exercise(t, d) {
				if call != "Invoke" && err == nil {
					t.Errorf("%s succeeded through a redirect", call)
				}
			}
			if n := elsewhereHits.Load(); n != 0 {
				t.Errorf("%d requests followed the redirect", n)
			}
		})
	}
}

func TestNoDriverUsesTheEnvironmentProxy(t *testing.T) {
	// A name under .invalid never resolves: without the proxy every call
	// fails, through it every call would reach the proxy.
	const unresolvable = "http://picasso-backend.invalid:8080"
	for name, newDriver := range httpDrivers {
		t.Run(name, func(t *testing.T) {
			d, err := newDriver(unresolvable)
			if err != nil {
				t.Fatal(err)
			}
			for call, err := range exercise(t, d) {
				if !picasso.IsCode(err, picasso.EBADGATEWAY) && !picasso.IsCode(err, picasso.EUNAVAILABLE) {
					t.Errorf("%s of an unresolvable backend: %v, want it unreachable", call, err)
				}
			}
			if n := proxyHits.Load(); n != 0 {
				t.Errorf("%d requests went through HTTP_PROXY", n)
			}
		})
	}
}
