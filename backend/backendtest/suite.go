package backendtest

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
)

// Run runs the conformance suite against the backends h builds. Every
// subtest gets its own backend from h.New and its own random app names.
func Run(t *testing.T, h Harness) {
	h.check(t)
	tests := []struct {
		name string
		fn   func(*testing.T, *fixture)
	}{
		{"Ping", testPing},
		{"CreateApp", testCreateApp},
		{"CreateAppDuplicate", testCreateAppDuplicate},
		{"UpdateApp", testUpdateApp},
		{"CreateRoute", testCreateRoute},
		{"CreateRouteDuplicate", testCreateRouteDuplicate},
		{"CreateRouteMissingApp", testCreateRouteMissingApp},
		{"ListRoutesMissingApp", testListRoutesMissingApp},
		{"InvokeSync", testInvokeSync},
		{"InvokeAsync", testInvokeAsync},
		{"UpdateRoute", testUpdateRoute},
		{"InvokeTimeout", testInvokeTimeout},
		{"InvokeFailure", testInvokeFailure},
		{"DeleteRoute", testDeleteRoute},
		{"DeleteAppWithRoutes", testDeleteAppWithRoutes},
		{"DeleteAppMissing", testDeleteAppMissing},
		{"DeleteApp", testDeleteApp},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newFixture(t, &h))
		})
	}
}

func testPing(t *testing.T, f *fixture) {
	if err := f.backend.Ping(f.ctx()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

func testCreateApp(t *testing.T, f *fixture) {
	app := f.createApp()
	inv := f.inventory()
	if inv == nil {
		return
	}
	got, err := inv.GetApp(f.ctx(), app.BackendName)
	if err != nil {
		t.Fatalf("GetApp: %v", err)
	}
	if got.Name != app.BackendName {
		t.Errorf("GetApp name = %q, want %q", got.Name, app.BackendName)
	}
	if !maps.Equal(got.Config, app.Config) {
		t.Errorf("GetApp config = %v, want %v", got.Config, app.Config)
	}
	names, err := inv.ListApps(f.ctx())
	if err != nil {
		t.Fatalf("ListApps: %v", err)
	}
	if !slices.Contains(names, app.BackendName) {
		t.Errorf("ListApps lacks %s", app.BackendName)
	}
	_, err = inv.GetApp(f.ctx(), newApp(t).BackendName)
	wantCode(t, "GetApp of an unknown app", err, picasso.ENOTFOUND)
}

func testCreateAppDuplicate(t *testing.T, f *fixture) {
	app := f.createApp()
	err := f.backend.CreateApp(f.ctx(), app)
	wantCode(t, "CreateApp twice", err, picasso.ECONFLICT)
}

func testUpdateApp(t *testing.T, f *fixture) {
	app := f.createApp()
	app.Config = map[string]string{"NEW_KEY": "new"}
	if err := f.backend.UpdateApp(f.ctx(), app); err != nil {
		t.Fatalf("UpdateApp: %v", err)
	}
	if inv := f.inventory(); inv != nil {
		got, err := inv.GetApp(f.ctx(), app.BackendName)
		if err != nil {
			t.Fatalf("GetApp: %v", err)
		}
		if !maps.Equal(got.Config, app.Config) {
			t.Errorf("config after update = %v, want exactly %v", got.Config, app.Config)
		}
	}
	missing := newApp(t)
	wantCode(t, "UpdateApp of an unknown app", f.backend.UpdateApp(f.ctx(), missing), picasso.ENOTFOUND)
}

func testCreateRoute(t *testing.T, f *fixture) {
	app := f.createApp()
	want := f.createRoute(app, "/nested/echo", f.h.EchoImage, picasso.RouteSync)
	if inv := f.inventory(); inv != nil {
		f.sameRoute(f.storedRoute(inv, app, want.Path), want)
	}
}

func testCreateRouteDuplicate(t *testing.T, f *fixture) {
	app := f.createApp()
	r := f.createRoute(app, "/dup", f.h.EchoImage, picasso.RouteSync)
	wantCode(t, "CreateRoute twice", f.backend.CreateRoute(f.ctx(), app, r), picasso.ECONFLICT)
}

func testCreateRouteMissingApp(t *testing.T, f *fixture) {
	app := newApp(t)
	r := f.newRoute(app, "/orphan", f.h.EchoImage, picasso.RouteSync)
	wantCode(t, "CreateRoute on a missing app", f.backend.CreateRoute(f.ctx(), app, r), picasso.ENOTFOUND)
	// A backend that creates apps on demand would let an ownership bug
	// create apps behind the store's back.
	if inv := f.inventory(); inv != nil {
		_, err := inv.GetApp(f.ctx(), app.BackendName)
		wantCode(t, "GetApp after CreateRoute on a missing app", err, picasso.ENOTFOUND)
	}
}

func testListRoutesMissingApp(t *testing.T, f *fixture) {
	inv := f.inventory()
	if inv == nil {
		t.Skip("backend has no inventory")
	}
	_, err := inv.ListRoutes(f.ctx(), newApp(t))
	wantCode(t, "ListRoutes of a missing app", err, picasso.ENOTFOUND)
}

func testInvokeSync(t *testing.T, f *fixture) {
	app := f.createApp()
	r := f.createRoute(app, "/echo", f.h.EchoImage, picasso.RouteSync)
	payload := "payload-" + app.ProjectID
	got := f.invoke(app, r, payload)
	if got.err != nil {
		t.Fatalf("Invoke: %v", got.err)
	}
	if got.result.Status != http.StatusOK {
		t.Fatalf("Invoke status = %d, want 200", got.result.Status)
	}
	if !strings.Contains(got.body, payload) {
		t.Fatalf("Invoke body %q does not contain the payload %q", got.body, payload)
	}
	if got.result.CallID != "" && got.result.Status != http.StatusAccepted {
		t.Errorf("sync result has a call id %q", got.result.CallID)
	}
}

// testInvokeAsync checks that an async route is held and run as a sync
// one: Picasso's workers call it and wait for the answer.
func testInvokeAsync(t *testing.T, f *fixture) {
	app := f.createApp()
	r := f.createRoute(app, "/async", f.h.EchoImage, picasso.RouteAsync)
	got := f.invoke(app, r, "async-payload")
	if got.err != nil {
		t.Fatalf("Invoke: %v", got.err)
	}
	if got.result.Status != http.StatusOK || !strings.Contains(got.body, "async-payload") {
		t.Fatalf("Invoke status = %d, body %q; want 200 with the payload", got.result.Status, got.body)
	}
}

func testUpdateRoute(t *testing.T, f *fixture) {
	app := f.createApp()
	r := f.createRoute(app, "/changing", f.h.FailImage, picasso.RouteSync)
	r.Image = f.h.EchoImage
	r.Memory = 256
	r.Timeout = routeTimeout - 1
	r.Config = map[string]string{"OTHER": "x"}
	if !f.h.NoRouteHeaders {
		r.Headers = map[string][]string{"X-Suite": {"two"}, "X-Extra": {"e"}}
	}
	if err := f.backend.UpdateRoute(f.ctx(), app, r); err != nil {
		t.Fatalf("UpdateRoute: %v", err)
	}
	if inv := f.inventory(); inv != nil {
		f.sameRoute(f.storedRoute(inv, app, r.Path), r)
	}
	got := f.invoke(app, r, "after-update")
	if got.err != nil {
		t.Fatalf("Invoke after switching to the echo image: %v", got.err)
	}
	if !strings.Contains(got.body, "after-update") {
		t.Fatalf("Invoke body %q does not contain the payload", got.body)
	}
	missing := f.newRoute(app, "/never-created", f.h.EchoImage, picasso.RouteSync)
	wantCode(t, "UpdateRoute of a missing route", f.backend.UpdateRoute(f.ctx(), app, missing), picasso.ENOTFOUND)
}

func testInvokeTimeout(t *testing.T, f *fixture) {
	app := f.createApp()
	r := f.newRoute(app, "/slow", f.h.SlowImage, picasso.RouteSync)
	r.Timeout = suiteRouteTimeout
	f.create(app, r)
	got := f.invoke(app, r, "slow")
	wantCode(t, "Invoke of a slow function", got.err, picasso.ETIMEOUT)
	if bound := r.TimeoutDuration() + f.h.margin() + 5*time.Second; got.elapsed > bound {
		t.Fatalf("timeout took %v, want under %v", got.elapsed, bound)
	}
}

func testInvokeFailure(t *testing.T, f *fixture) {
	app := f.createApp()
	r := f.createRoute(app, "/fail", f.h.FailImage, picasso.RouteSync)
	got := f.invoke(app, r, "fail")
	wantCode(t, "Invoke of a failing function", got.err, picasso.EBADGATEWAY)
}

func testDeleteRoute(t *testing.T, f *fixture) {
	app := f.createApp()
	r := f.createRoute(app, "/gone", f.h.EchoImage, picasso.RouteSync)
	for i := range 2 {
		if err := f.backend.DeleteRoute(f.ctx(), app, r.Path); err != nil {
			t.Fatalf("DeleteRoute #%d: %v", i+1, err)
		}
	}
	// The gateway only invokes routes its store has: a route missing on
	// the backend is drift, the backend's fault, not the caller's.
	got := f.invoke(app, r, "x")
	wantCode(t, "Invoke of a deleted route", got.err, picasso.EBADGATEWAY)
	if inv := f.inventory(); inv != nil {
		routes, err := inv.ListRoutes(f.ctx(), app)
		if err != nil {
			t.Fatalf("ListRoutes: %v", err)
		}
		if len(routes) != 0 {
			t.Fatalf("ListRoutes after delete = %d routes, want 0", len(routes))
		}
	}
}

func testDeleteAppWithRoutes(t *testing.T, f *fixture) {
	app := f.createApp()
	f.createRoute(app, "/keep", f.h.EchoImage, picasso.RouteSync)
	wantCode(t, "DeleteApp with routes", f.backend.DeleteApp(f.ctx(), app), picasso.ECONFLICT)
}

func testDeleteAppMissing(t *testing.T, f *fixture) {
	wantCode(t, "DeleteApp of a missing app", f.backend.DeleteApp(f.ctx(), newApp(t)), picasso.ENOTFOUND)
}

func testDeleteApp(t *testing.T, f *fixture) {
	app := f.createApp()
	if err := f.backend.DeleteApp(f.ctx(), app); err != nil {
		t.Fatalf("DeleteApp: %v", err)
	}
	if inv := f.inventory(); inv != nil {
		_, err := inv.GetApp(f.ctx(), app.BackendName)
		wantCode(t, "GetApp after delete", err, picasso.ENOTFOUND)
	}
	if err := f.backend.CreateApp(f.ctx(), app); err != nil {
		t.Fatalf("CreateApp after delete: %v", err)
	}
}

// sameRoute compares the fields a backend must keep.
func (f *fixture) sameRoute(got, want *picasso.Route) {
	f.t.Helper()
	if got.Path != want.Path || got.Image != want.Image || got.Type != picasso.RouteSync ||
		got.Memory != want.Memory || got.Timeout != want.Timeout {
		f.t.Errorf("stored route = {path %s image %s type %s memory %d timeout %d}, want {%s %s %s %d %d}",
			got.Path, got.Image, got.Type, got.Memory, got.Timeout,
			want.Path, want.Image, want.Type, want.Memory, want.Timeout)
	}
	if !maps.Equal(got.Config, want.Config) {
		f.t.Errorf("stored route config = %v, want exactly %v", got.Config, want.Config)
	}
	if !f.h.NoRouteHeaders && !maps.EqualFunc(got.Headers, want.Headers, slices.Equal) {
		f.t.Errorf("stored route headers = %v, want exactly %v", got.Headers, want.Headers)
	}
}
