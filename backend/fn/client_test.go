package fn_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/backend/fn"
	"github.com/picasso-faas/picasso/backend/fntest"
)

func setup(t *testing.T) (*fntest.Server, *fn.Client) {
	t.Helper()
	s := fntest.New()
	t.Cleanup(s.Close)
	c, err := fn.New(s.URL()+"/v2/", fn.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

func ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newApp(t *testing.T, c *fn.Client, name string) *picasso.App {
	t.Helper()
	app := &picasso.App{ID: "id-" + name, BackendName: name, Config: map[string]string{"APP": "a"}}
	if err := c.CreateApp(ctx(t), app); err != nil {
		t.Fatalf("CreateApp(%s): %v", name, err)
	}
	return app
}

func newRoute(app *picasso.App, path, image, typ string) *picasso.Route {
	r := &picasso.Route{AppID: app.ID, Path: path, Image: image, Type: typ}
	r.ApplyDefaults()
	r.Config = map[string]string{"ROUTE": "r"}
	r.Headers = map[string][]string{"X-Route": {"first", "second"}}
	return r
}

func createRoute(t *testing.T, c *fn.Client, app *picasso.App, path, image, typ string) *picasso.Route {
	t.Helper()
	r := newRoute(app, path, image, typ)
	if err := c.CreateRoute(ctx(t), app, r); err != nil {
		t.Fatalf("CreateRoute(%s): %v", path, err)
	}
	return r
}

func wantCode(t *testing.T, what string, err error, code picasso.Code) {
	t.Helper()
	if got := picasso.ErrorCode(err); err == nil || got != code {
		t.Fatalf("%s: got %v (%s), want %s", what, err, got, code)
	}
}

// fake sends a raw request to the fake, for changes behind the driver's back.
func fake(t *testing.T, s *fntest.Server, method, path, body string, out any) {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL()+path, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s %s = %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRouteRoundTrip(t *testing.T) {
	_, c := setup(t)
	app := newApp(t, c, "roundtrip")
	r := createRoute(t, c, app, "/a/b", fntest.ImageEcho, picasso.RouteAsync)
	wantCode(t, "CreateRoute twice", c.CreateRoute(ctx(t), app, r), picasso.ECONFLICT)

	r.Image = "other"
	r.Memory = 512
	r.Config = map[string]string{"NEW": "n"}
	r.Headers = map[string][]string{"X-Other": {"o"}}
	r.Type = picasso.RouteSync
	if err := c.UpdateRoute(ctx(t), app, r); err != nil {
		t.Fatalf("UpdateRoute: %v", err)
	}
	routes, err := c.ListRoutes(ctx(t), app)
	if err != nil || len(routes) != 1 {
		t.Fatalf("ListRoutes = %v, %v", routes, err)
	}
	got := routes[0]
	if got.Path != "/a/b" || got.Image != "other" || got.Memory != 512 || got.Type != picasso.RouteSync || got.Format != r.Format || got.MaxConcurrency != r.MaxConcurrency {
		t.Errorf("stored route = %+v, want %+v", got, r)
	}
	if !maps.Equal(got.Config, r.Config) || len(got.Headers) != 1 || got.Headers["X-Other"][0] != "o" {
		t.Errorf("stored config %v headers %v: removed keys must be gone", got.Config, got.Headers)
	}
}

func TestUpdateAppReplacesConfig(t *testing.T) {
	_, c := setup(t)
	app := newApp(t, c, "cfg")
	app.Config = map[string]string{"OTHER": "o"}
	if err := c.UpdateApp(ctx(t), app); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetApp(ctx(t), "cfg")
	if err != nil || !maps.Equal(got.Config, app.Config) || got.Name != "cfg" {
		t.Fatalf("GetApp = %+v, %v", got, err)
	}
}

func TestListsPageThroughEverything(t *testing.T) {
	_, c := setup(t)
	for i := range 105 {
		newApp(t, c, fmt.Sprintf("app%03d", i))
	}
	names, err := c.ListApps(ctx(t))
	if err != nil || len(names) != 105 {
		t.Fatalf("ListApps = %d names, %v; want 105", len(names), err)
	}
	app := &picasso.App{ID: "x", BackendName: "app000"}
	for i := range 103 {
		createRoute(t, c, app, fmt.Sprintf("/r%03d", i), fntest.ImageEcho, picasso.RouteSync)
	}
	routes, err := c.ListRoutes(ctx(t), app)
	if err != nil || len(routes) != 103 || routes[0].Path != "/r000" || routes[102].Path != "/r102" {
		t.Fatalf("ListRoutes = %d routes, %v; want 103 ordered by path", len(routes), err)
	}
}

func TestDeleteApp(t *testing.T) {
	_, c := setup(t)
	app := newApp(t, c, "del")
	createRoute(t, c, app, "/keep", fntest.ImageEcho, picasso.RouteSync)
	wantCode(t, "DeleteApp with a route", c.DeleteApp(ctx(t), app), picasso.ECONFLICT)
	for range 2 {
		if err := c.DeleteRoute(ctx(t), app, "/keep"); err != nil {
			t.Fatalf("DeleteRoute: %v", err)
		}
	}
	if err := c.DeleteApp(ctx(t), app); err != nil {
		t.Fatalf("DeleteApp: %v", err)
	}
	wantCode(t, "DeleteApp again", c.DeleteApp(ctx(t), app), picasso.ENOTFOUND)
	if err := c.DeleteRoute(ctx(t), app, "/keep"); err != nil {
		t.Errorf("DeleteRoute of a missing app: %v", err)
	}
}

func TestTriggerFailureRollsBackTheFn(t *testing.T) {
	s, c := setup(t)
	app := newApp(t, c, "half")
	// Someone else's trigger already owns the source.
	var a struct{ Items []struct{ ID string } }
	fake(t, s, "GET", "/v2/apps?name=half", "", &a)
	appID := a.Items[0].ID
	var other struct{ ID string }
	fake(t, s, "POST", "/v2/fns", `{"name":"other","app_id":"`+appID+`","image":"echo"}`, &other)
	fake(t, s, "POST", "/v2/triggers", `{"name":"other","app_id":"`+appID+`","fn_id":"`+other.ID+`","type":"http","source":"/taken"}`, nil)

	err := c.CreateRoute(ctx(t), app, newRoute(app, "/taken", fntest.ImageEcho, picasso.RouteSync))
	wantCode(t, "CreateRoute on a taken source", err, picasso.ECONFLICT)
	var fns struct{ Items []struct{ Name string } }
	fake(t, s, "GET", "/v2/fns?app_id="+appID, "", &fns)
	if len(fns.Items) != 1 || fns.Items[0].Name != "other" {
		t.Fatalf("fns after the failed create = %+v, want only the other one", fns.Items)
	}
}

func TestStaleAppIDIsLookedUpAgain(t *testing.T) {
	s, c := setup(t)
	app := newApp(t, c, "stale")
	var a struct{ Items []struct{ ID string } }
	fake(t, s, "GET", "/v2/apps?name=stale", "", &a)
	fake(t, s, "DELETE", "/v2/apps/"+a.Items[0].ID, "", nil)
	fake(t, s, "POST", "/v2/apps", `{"name":"stale"}`, nil)

	createRoute(t, c, app, "/after", fntest.ImageEcho, picasso.RouteSync)
	routes, err := c.ListRoutes(ctx(t), app)
	if err != nil || len(routes) != 1 {
		t.Fatalf("ListRoutes = %v, %v", routes, err)
	}
}

func TestCreateRouteNeedsTheApp(t *testing.T) {
	_, c := setup(t)
	app := &picasso.App{BackendName: "missing"}
	wantCode(t, "CreateRoute", c.CreateRoute(ctx(t), app, newRoute(app, "/x", "echo", picasso.RouteSync)), picasso.ENOTFOUND)
	wantCode(t, "UpdateRoute", c.UpdateRoute(ctx(t), app, newRoute(app, "/x", "echo", picasso.RouteSync)), picasso.ENOTFOUND)
	wantCode(t, "UpdateApp", c.UpdateApp(ctx(t), app), picasso.ENOTFOUND)
	_, err := c.ListRoutes(ctx(t), app)
	wantCode(t, "ListRoutes", err, picasso.ENOTFOUND)
}

func TestInvalidRouteKeepsFnMessage(t *testing.T) {
	_, c := setup(t)
	app := newApp(t, c, "inval")
	r := newRoute(app, "/big", fntest.ImageEcho, picasso.RouteSync)
	r.Memory = 9000
	err := c.CreateRoute(ctx(t), app, r)
	wantCode(t, "CreateRoute with 9000 MB", err, picasso.EINVALID)
	if msg := picasso.ErrorMessage(err); msg != "memory value is out of range. It should be between 0 and 8192" {
		t.Errorf("message %q", msg)
	}
}

func invoke(t *testing.T, c *fn.Client, app *picasso.App, r *picasso.Route, query string, ctx context.Context) (*picasso.CallResult, string, error) {
	t.Helper()
	res, err := c.Invoke(ctx, &picasso.Call{
		App: app, Route: r, Method: "POST", RawQuery: query,
		Header:    http.Header{"Content-Type": {"text/plain"}, "X-Caller": {"c"}, "Content-Length": {"7"}},
		Body:      strings.NewReader("payload"),
		RequestID: "req-1",
	})
	if err != nil {
		return nil, "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b), nil
}

func TestInvokeSync(t *testing.T) {
	s, c := setup(t)
	app := newApp(t, c, "sync")
	r := createRoute(t, c, app, "/echo", fntest.ImageEcho, picasso.RouteSync)
	res, body, err := invoke(t, c, app, r, "q=1", ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	var e fntest.Echo
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatal(err)
	}
	switch {
	case res.Status != http.StatusOK || res.CallID != "":
		t.Errorf("status %d call id %q, want 200 and none", res.Status, res.CallID)
	case res.Header.Get("X-Route") != "first" || res.Header.Get("Fn-Call-Id") == "":
		t.Errorf("headers %v: want the route header's first value and Fn-Call-Id", res.Header)
	case e.Body != "payload" || !strings.HasSuffix(e.URL, "/t/sync/echo?q=1"):
		t.Errorf("function saw %+v", e)
	case e.Header.Get("Fn-Http-H-X-Caller") != "c" || e.Header.Get("Fn-Http-H-X-Openstack-Request-Id") != "req-1":
		t.Errorf("function saw headers %v", e.Header)
	case e.Env["APP"] != "a" || e.Env["ROUTE"] != "r":
		t.Errorf("function env %v", e.Env)
	}
	if inv := s.Invocations(); len(inv) != 1 || inv[0].Detached {
		t.Errorf("invocations %+v", inv)
	}

	// A function's own 404 is its answer, not a missing route.
	res, body, err = invoke(t, c, app, r, "status=404", ctx(t))
	if err != nil || res.Status != http.StatusNotFound || !strings.Contains(body, "payload") {
		t.Errorf("function 404 = %v %q %v", res, body, err)
	}
}

// TestAsyncRouteRunsSync: the driver never detaches a call; Picasso's
// worker waits for the function's answer.
func TestAsyncRouteRunsSync(t *testing.T) {
	s, c := setup(t)
	app := newApp(t, c, "async")
	r := createRoute(t, c, app, "/later", fntest.ImageEcho, picasso.RouteAsync)
	res, body, err := invoke(t, c, app, r, "", ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	inv := s.Invocations()
	if res.Status != http.StatusOK || !strings.Contains(body, "payload") || len(inv) != 1 || inv[0].Detached {
		t.Fatalf("async = %d %q, invocations %+v", res.Status, body, inv)
	}
}

func TestInvokeErrors(t *testing.T) {
	s, c := setup(t)
	app := newApp(t, c, "errs")
	fail := createRoute(t, c, app, "/fail", fntest.ImageFail, picasso.RouteSync)
	slow := createRoute(t, c, app, "/slow", fntest.ImageSleep, picasso.RouteSync)

	_, _, err := invoke(t, c, app, fail, "", ctx(t))
	wantCode(t, "failing function", err, picasso.EBADGATEWAY)
	if msg := picasso.ErrorMessage(err); msg != "Function failed" || !strings.Contains(err.Error(), s.URL()) {
		t.Errorf("message %q (cause %v): want a clean message and the URL kept in the cause", msg, err)
	}

	s.SetTimeUnit(10 * time.Millisecond)
	_, _, err = invoke(t, c, app, slow, "", ctx(t))
	wantCode(t, "Fn's timeout", err, picasso.ETIMEOUT)

	s.SetTimeUnit(time.Minute)
	short, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, _, err = invoke(t, c, app, slow, "", short)
	wantCode(t, "caller's deadline", err, picasso.ETIMEOUT)

	gone := newRoute(app, "/gone", fntest.ImageEcho, picasso.RouteSync)
	_, _, err = invoke(t, c, app, gone, "", ctx(t))
	wantCode(t, "route missing on Fn", err, picasso.EBADGATEWAY)

	s.SetFailure(fntest.FailureDown)
	_, _, err = invoke(t, c, app, fail, "", ctx(t))
	wantCode(t, "busy server", err, picasso.EUNAVAILABLE)
	wantCode(t, "Ping of a busy server", c.Ping(ctx(t)), picasso.EUNAVAILABLE)

	s.SetFailure(fntest.FailureReset)
	_, _, err = invoke(t, c, app, fail, "", ctx(t))
	wantCode(t, "reset connection", err, picasso.EBADGATEWAY)

	s.SetFailure(fntest.FailureNone)
	if err := c.Ping(ctx(t)); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	s.Close()
	err = c.Ping(ctx(t))
	wantCode(t, "Ping of a closed server", err, picasso.EBADGATEWAY)
	if strings.Contains(picasso.ErrorMessage(err), "127.0.0.1") {
		t.Errorf("message %q shows the backend address", picasso.ErrorMessage(err))
	}
}

func TestManagementTimeout(t *testing.T) {
	s := fntest.New()
	defer s.Close()
	c, err := fn.New(s.URL(), fn.Options{Timeout: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, "Ping under a 1 ns timeout", c.Ping(context.Background()), picasso.ETIMEOUT)
}

// A caller's Fn-Invoke-Type cannot turn a sync route's call into a
// detached one (which would answer 202 and hide the function's answer).
func TestCallerCannotDetachASyncCall(t *testing.T) {
	s, c := setup(t)
	app := newApp(t, c, "sync")
	r := createRoute(t, c, app, "/echo", fntest.ImageEcho, picasso.RouteSync)
	res, err := c.Invoke(ctx(t), &picasso.Call{
		App: app, Route: r, Method: "POST",
		Header: http.Header{"Fn-Invoke-Type": {"detached"}},
		Body:   strings.NewReader("payload"),
	})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if inv := s.Invocations(); res.Status != http.StatusOK || len(inv) != 1 || inv[0].Detached {
		t.Errorf("status %d, invocations %+v: the caller detached a sync call", res.Status, inv)
	}
}
