package local

import (
	"testing"

	"github.com/picasso-faas/picasso"
)

func TestRegistryKeepsAppsAndRoutes(t *testing.T) {
	rt, _ := newRuntime(t, Options{})
	ctx := testContext(t)
	app := &picasso.App{BackendName: picasso.BackendName("abc", "one"), Config: map[string]string{"K": "v"}}
	other := &picasso.App{BackendName: picasso.BackendName("abc", "two")}

	mustDo(t, rt.CreateApp(ctx, other))
	mustDo(t, rt.CreateApp(ctx, app))
	wantCode(t, "CreateApp twice", rt.CreateApp(ctx, app), picasso.ECONFLICT)
	app.Config["K"] = "changed by the caller"

	got, err := rt.GetApp(ctx, app.BackendName)
	mustDo(t, err)
	if got.Name != app.BackendName || got.Config["K"] != "v" {
		t.Errorf("GetApp: %+v", got)
	}
	mustDo(t, rt.UpdateApp(ctx, app))
	got, _ = rt.GetApp(ctx, app.BackendName)
	if got.Config["K"] != "changed by the caller" {
		t.Errorf("UpdateApp not applied: %+v", got.Config)
	}
	names, err := rt.ListApps(ctx)
	mustDo(t, err)
	if len(names) != 2 || names[0] > names[1] {
		t.Errorf("ListApps: %v", names)
	}

	mustDo(t, rt.CreateRoute(ctx, app, newRoute("/b", "hello")))
	mustDo(t, rt.CreateRoute(ctx, app, newRoute("/a", "echo")))
	wantCode(t, "CreateRoute twice", rt.CreateRoute(ctx, app, newRoute("/a", "echo")), picasso.ECONFLICT)
	wantCode(t, "UpdateRoute missing", rt.UpdateRoute(ctx, app, newRoute("/c", "echo")), picasso.ENOTFOUND)
	updated := newRoute("/a", "slow")
	updated.Timeout = 5
	mustDo(t, rt.UpdateRoute(ctx, app, updated))

	routes, err := rt.ListRoutes(ctx, app)
	mustDo(t, err)
	if len(routes) != 2 || routes[0].Path != "/a" || routes[0].Image != "slow" || routes[0].Timeout != 5 || routes[1].Path != "/b" {
		t.Fatalf("ListRoutes: %+v", routes)
	}
	routes[0].Config["leak"] = "x"
	routes, _ = rt.ListRoutes(ctx, app)
	if _, ok := routes[0].Config["leak"]; ok {
		t.Error("ListRoutes returned the registry's own route")
	}

	wantCode(t, "DeleteApp with routes", rt.DeleteApp(ctx, app), picasso.ECONFLICT)
	mustDo(t, rt.DeleteRoute(ctx, app, "/a"))
	mustDo(t, rt.DeleteRoute(ctx, app, "/a"))
	mustDo(t, rt.DeleteRoute(ctx, app, "/b"))
	mustDo(t, rt.DeleteApp(ctx, app))
	wantCode(t, "DeleteApp missing", rt.DeleteApp(ctx, app), picasso.ENOTFOUND)
	_, err = rt.GetApp(ctx, app.BackendName)
	wantCode(t, "GetApp missing", err, picasso.ENOTFOUND)
	_, err = rt.ListRoutes(ctx, app)
	wantCode(t, "ListRoutes missing app", err, picasso.ENOTFOUND)
	wantCode(t, "UpdateApp missing", rt.UpdateApp(ctx, app), picasso.ENOTFOUND)
	wantCode(t, "CreateRoute missing app", rt.CreateRoute(ctx, app, newRoute("/a", "echo")), picasso.ENOTFOUND)
	mustDo(t, rt.DeleteRoute(ctx, app, "/a"))
}

func wantCode(t *testing.T, what string, err error, code picasso.Code) {
	t.Helper()
	if !picasso.IsCode(err, code) {
		t.Errorf("%s: got %v, want %s", what, err, code)
	}
}

func TestInvokeRunsFromTheCallButNotADeletedRoute(t *testing.T) {
	rt, _ := newRuntime(t, Options{})
	ctx := testContext(t)
	route := newRoute("/hello", "hello")

	// Unknown app, as after a restart: the call carries all it needs.
	invokeOK(t, rt, postCall(route, ""))

	mustDo(t, rt.CreateApp(ctx, testApp))
	mustDo(t, rt.CreateRoute(ctx, testApp, route))
	invokeOK(t, rt, postCall(route, ""))
	mustDo(t, rt.DeleteRoute(ctx, testApp, route.Path))
	invokeErr(t, ctx, rt, postCall(route, ""), picasso.EBADGATEWAY)
}
