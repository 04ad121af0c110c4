package ironfunctions_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/backend/ironfunctions"
	"github.com/picasso-faas/picasso/backend/ironfunctionstest"
)

func newFake(t *testing.T) *ironfunctionstest.Server {
	srv := ironfunctionstest.New()
	t.Cleanup(srv.Close)
	return srv
}

func newClient(t *testing.T, baseURL string, opts ironfunctions.Options) *ironfunctions.Client {
	t.Helper()
	c, err := ironfunctions.New(baseURL, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

var (
	testApp = &picasso.App{ID: "app-id", BackendName: "pfabc", Config: map[string]string{"A": "1"}}
	ctx     = context.Background()
)

func testRoute(path string) *picasso.Route {
	r := &picasso.Route{Path: path, Image: "iron/echo", Timeout: 1}
	r.ApplyDefaults()
	r.Timeout = 1
	return r
}

// wantError fails unless err has code and msg, and msg does not leak the
// backend's address.
func wantError(t *testing.T, what string, err error, code picasso.Code, msg string) {
	t.Helper()
	if picasso.ErrorCode(err) != code || picasso.ErrorMessage(err) != msg {
		t.Fatalf("%s: got %s %q (%v), want %s %q", what, picasso.ErrorCode(err), picasso.ErrorMessage(err), err, code, msg)
	}
	if strings.Contains(picasso.ErrorMessage(err), "127.0.0.1") {
		t.Fatalf("%s: message leaks the backend address: %q", what, picasso.ErrorMessage(err))
	}
}

func TestBaseURLForms(t *testing.T) {
	srv := newFake(t)
	for _, base := range []string{srv.URL(), srv.URL() + "/", srv.URL() + "/v1", srv.URL() + "/v1/"} {
		c := newClient(t, base, ironfunctions.Options{})
		if err := c.Ping(ctx); err != nil {
			t.Errorf("%s: Ping: %v", base, err)
		}
		if _, err := c.ListApps(ctx); err != nil {
			t.Errorf("%s: ListApps: %v", base, err)
		}
	}
	want := []string{"GET /version", "GET /v1/apps"}
	if got := srv.Requests(); !slices.Equal(got[:2], want) {
		t.Errorf("requests = %v, want %v first", got, want)
	}
}

func TestBackendDown(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close()
	c := newClient(t, base, ironfunctions.Options{}) // startup must not need the backend
	wantError(t, "Ping", c.Ping(ctx), picasso.EUNAVAILABLE, "Backend unavailable")
	wantError(t, "CreateApp", c.CreateApp(ctx, testApp), picasso.EBADGATEWAY, "Backend unreachable")
}

func TestTransportFailures(t *testing.T) {
	srv := newFake(t)
	c := newClient(t, srv.URL(), ironfunctions.Options{Timeout: 100 * time.Millisecond})

	srv.SetDown(true)
	_, err := c.ListApps(ctx)
	wantError(t, "ListApps of a dying server", err, picasso.EBADGATEWAY, "Backend unreachable")
	srv.SetDown(false)

	srv.FailNext(1, http.StatusServiceUnavailable)
	_, err = c.ListApps(ctx)
	wantError(t, "ListApps answered 503", err, picasso.EUNAVAILABLE, "Backend unavailable")

	srv.SetLatency(time.Minute)
	start := time.Now()
	_, err = c.ListApps(ctx)
	wantError(t, "ListApps of a slow server", err, picasso.ETIMEOUT, "Backend timed out")
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("the 100ms management deadline took %v", elapsed)
	}
}

func TestGarbageResponses(t *testing.T) {
	for name, handler := range map[string]http.HandlerFunc{
		"not JSON":  func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<html>") },
		"no object": func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"message":"ok"}`) },
	} {
		srv := httptest.NewServer(handler)
		c := newClient(t, srv.URL, ironfunctions.Options{})
		_, err := c.GetApp(ctx, "pfabc")
		wantError(t, name, err, picasso.EBADGATEWAY, "Backend returned an invalid response")
		srv.Close()
	}
}

func TestCreateAppInvalidNameIsClean400(t *testing.T) {
	c := newClient(t, newFake(t).URL(), ironfunctions.Options{})
	err := c.CreateApp(ctx, &picasso.App{BackendName: "Abc"})
	wantError(t, "CreateApp Abc", err, picasso.EINVALID, "Invalid app name")
}

func TestCreateRouteNeverCreatesApps(t *testing.T) {
	srv := newFake(t)
	c := newClient(t, srv.URL(), ironfunctions.Options{})
	err := c.CreateRoute(ctx, testApp, testRoute("/x"))
	wantError(t, "CreateRoute on a missing app", err, picasso.ENOTFOUND, "App not found")
	if srv.HasApp(testApp.BackendName) {
		t.Fatal("the backend app was created")
	}
	for _, r := range srv.Requests() {
		if strings.HasPrefix(r, "POST") {
			t.Fatalf("sent %s", r)
		}
	}
}

func TestCreateRouteRefusesPathsThatCrashTheServer(t *testing.T) {
	srv := newFake(t)
	c := newClient(t, srv.URL(), ironfunctions.Options{})
	for _, p := range []string{"/%zz", "/a:b", "nolead", "/a/../b"} {
		err := c.CreateRoute(ctx, testApp, testRoute(p))
		if !picasso.IsCode(err, picasso.EINVALID) {
			t.Errorf("CreateRoute(%q): %v, want EINVALID", p, err)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests sent for invalid paths", n)
	}
}

func TestUpdateRouteReachesExactlyTheDesiredState(t *testing.T) {
	srv := newFake(t)
	c := newClient(t, srv.URL(), ironfunctions.Options{})
	if err := c.CreateApp(ctx, testApp); err != nil {
		t.Fatal(err)
	}
	r := testRoute("/u")
	r.Headers = map[string][]string{"x-a": {"1"}, "X-Gone": {"g"}, "X-Same": {"s"}}
	r.Config = map[string]string{"KEEP": "k", "DROP": "d"}
	if err := c.CreateRoute(ctx, testApp, r); err != nil {
		t.Fatal(err)
	}

	r.Headers = map[string][]string{"X-A": {"2", "3"}, "X-Same": {"s"}, "X-New": {"n"}}
	r.Config = map[string]string{"KEEP": "k2", "ADD": "a"}
	r.Image, r.Memory, r.Type = "other", 512, picasso.RouteAsync
	if err := c.UpdateRoute(ctx, testApp, r); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"X-A": {"2", "3"}, "X-Same": {"s"}, "X-New": {"n"}}
	if got := srv.RouteHeaders(testApp.BackendName, "/u"); !equalHeaders(got, want) {
		t.Errorf("headers = %v, want %v", got, want)
	}
	routes, err := c.ListRoutes(ctx, testApp)
	if err != nil || len(routes) != 1 {
		t.Fatalf("ListRoutes = %v, %v", routes, err)
	}
	got := routes[0]
	// An async route is held as sync: Picasso queues its calls itself.
	if got.Image != "other" || got.Memory != 512 || got.Type != picasso.RouteSync || got.AppID != testApp.ID ||
		len(got.Config) != 2 || got.Config["KEEP"] != "k2" || got.Config["ADD"] != "a" {
		t.Errorf("route after update = %+v", got)
	}

	r.Headers = nil
	if err := c.UpdateRoute(ctx, testApp, r); err != nil {
		t.Fatal(err)
	}
	if got := srv.RouteHeaders(testApp.BackendName, "/u"); len(got) != 0 {
		t.Errorf("headers after clearing = %v", got)
	}
}

func equalHeaders(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

func TestRouteJWTKeyNeverLeaves(t *testing.T) {
	srv := newFake(t)
	c := newClient(t, srv.URL(), ironfunctions.Options{})
	body := strings.NewReader(`{"route":{"path":"/j","image":"i","jwt_key":"s3cret-key"}}`)
	resp, err := http.Post(srv.URL()+"/v1/apps/pfabc/routes", "application/json", body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("seeding a route with a jwt_key: %v %v", resp, err)
	}
	resp.Body.Close()
	routes, err := c.ListRoutes(ctx, testApp)
	if err != nil || len(routes) != 1 {
		t.Fatalf("ListRoutes = %v, %v", routes, err)
	}
	if dump := fmt.Sprintf("%#v %#v", *routes[0], routes[0].Config); strings.Contains(dump, "s3cret") {
		t.Fatalf("the route JWT key leaked: %s", dump)
	}
}

func TestListRoutesOfUnknownAppIsNotFound(t *testing.T) {
	c := newClient(t, newFake(t).URL(), ironfunctions.Options{})
	_, err := c.ListRoutes(ctx, testApp)
	wantError(t, "ListRoutes", err, picasso.ENOTFOUND, "App not found")
}
