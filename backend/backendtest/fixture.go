package backendtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
)

// callTimeout bounds every management call of the suite.
const callTimeout = 30 * time.Second

// suiteRouteTimeout keeps the timeout test fast: SlowImage must outlast it.
const suiteRouteTimeout = 1

// routeTimeout is the timeout of every other route: generous, so that a
// loaded CI machine never turns a plain call into a timeout.
const routeTimeout = 30

// fixture is one subtest's backend plus helpers that fail the test on
// unexpected errors and clean up what they created, so the suite can run
// against a runtime shared with other tests.
type fixture struct {
	t       *testing.T
	h       *Harness
	backend picasso.Backend
}

// newFixture closes the backend when the subtest ends, after the
// cleanups of what the subtest created, which run first.
func newFixture(t *testing.T, h *Harness) *fixture {
	backend := h.New(t)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		if err := backend.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &fixture{t: t, h: h, backend: backend}
}

func (f *fixture) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	f.t.Cleanup(cancel)
	return ctx
}

// newApp returns an app with a fresh random backend name, not yet created.
func newApp(t *testing.T) *picasso.App {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	projectID := hex.EncodeToString(b[:])
	name := "suite"
	return &picasso.App{
		ID:          projectID + "-app",
		ProjectID:   projectID,
		Name:        name,
		BackendName: picasso.BackendName(projectID, name),
		Config:      map[string]string{"APP_LEVEL": "app-value"},
	}
}

// createApp creates a fresh app and deletes it (and its routes) when the
// test ends.
func (f *fixture) createApp() *picasso.App {
	f.t.Helper()
	app := newApp(f.t)
	if err := f.backend.CreateApp(f.ctx(), app); err != nil {
		f.t.Fatalf("CreateApp(%s): %v", app.BackendName, err)
	}
	f.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		_ = f.backend.DeleteApp(ctx, app)
	})
	return app
}

// newRoute returns a route with every field set, as the gateway hands them
// to backends after applying defaults.
func (f *fixture) newRoute(app *picasso.App, path, image, typ string) *picasso.Route {
	r := &picasso.Route{
		AppID:          app.ID,
		Path:           path,
		Type:           typ,
		Image:          image,
		Memory:         picasso.DefaultMemory,
		Timeout:        routeTimeout,
		MaxConcurrency: picasso.DefaultMaxConcurrency,
		Format:         picasso.FormatDefault,
		Config:         map[string]string{"ROUTE_LEVEL": "route-value"},
		Headers:        map[string][]string{},
	}
	if !f.h.NoRouteHeaders {
		r.Headers["X-Suite"] = []string{"one"}
	}
	return r
}

func (f *fixture) createRoute(app *picasso.App, path, image, typ string) *picasso.Route {
	f.t.Helper()
	return f.create(app, f.newRoute(app, path, image, typ))
}

func (f *fixture) create(app *picasso.App, r *picasso.Route) *picasso.Route {
	f.t.Helper()
	path := r.Path
	if err := f.backend.CreateRoute(f.ctx(), app, r); err != nil {
		f.t.Fatalf("CreateRoute(%s%s): %v", app.BackendName, path, err)
	}
	f.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		_ = f.backend.DeleteRoute(ctx, app, path)
	})
	return r
}

// invocation is what Invoke returned, with the body read within the
// call's deadline.
type invocation struct {
	result  *picasso.CallResult
	body    string
	err     error
	elapsed time.Duration
}

// invoke runs a POST with payload under the deadline the gateway would
// set: the route's timeout plus the margin.
func (f *fixture) invoke(app *picasso.App, route *picasso.Route, payload string) invocation {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), route.TimeoutDuration()+f.h.margin())
	defer cancel()
	call := &picasso.Call{
		App:       app,
		Route:     route,
		Method:    "POST",
		RawQuery:  "suite=1",
		Header:    map[string][]string{"Content-Type": {"text/plain"}},
		Body:      strings.NewReader(payload),
		RequestID: "req-backendtest",
	}
	start := time.Now()
	res, err := f.backend.Invoke(ctx, call)
	inv := invocation{result: res, err: err}
	if err == nil && res.Body != nil {
		b, readErr := io.ReadAll(res.Body)
		res.Body.Close()
		if readErr != nil {
			f.t.Fatalf("reading the result of %s: %v", route.Path, readErr)
		}
		inv.body = string(b)
	}
	inv.elapsed = time.Since(start)
	return inv
}

// wantCode fails the test unless err carries code.
func wantCode(t *testing.T, what string, err error, code picasso.Code) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: got no error, want %s", what, code)
	}
	if got := picasso.ErrorCode(err); got != code {
		t.Fatalf("%s: got %s (%v), want %s", what, got, err, code)
	}
	if picasso.ErrorMessage(err) == "" {
		t.Fatalf("%s: error %v has an empty client message", what, err)
	}
}

// inventory returns the backend as a BackendInventory, or nil.
func (f *fixture) inventory() picasso.BackendInventory {
	inv, _ := f.backend.(picasso.BackendInventory)
	return inv
}

// storedRoute finds path among the routes the backend lists for app.
func (f *fixture) storedRoute(inv picasso.BackendInventory, app *picasso.App, path string) *picasso.Route {
	f.t.Helper()
	routes, err := inv.ListRoutes(f.ctx(), app)
	if err != nil {
		f.t.Fatalf("ListRoutes(%s): %v", app.BackendName, err)
	}
	for _, r := range routes {
		if r.Path == path {
			return r
		}
	}
	f.t.Fatalf("ListRoutes(%s) has no %s among %d routes", app.BackendName, path, len(routes))
	return nil
}
