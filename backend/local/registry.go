package local

import (
	"context"
	"maps"
	"slices"
	"sync"

	"github.com/picasso-faas/picasso"
)

// registry is the in-memory copy of the apps and routes the gateway
// created, keyed by backend app name. It serves the inventory only.
type registry struct {
	mu   sync.Mutex
	apps map[string]*registeredApp
}

type registeredApp struct {
	config map[string]string
	routes map[string]*picasso.Route // by path
}

func newRegistry() registry {
	return registry{apps: map[string]*registeredApp{}}
}

// CreateApp registers the app; ECONFLICT when its backend name exists.
func (rt *Runtime) CreateApp(ctx context.Context, app *picasso.App) error {
	r := &rt.registry
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.apps[app.BackendName]; ok {
		return picasso.Errorf(picasso.ECONFLICT, "App already exists")
	}
	r.apps[app.BackendName] = &registeredApp{config: maps.Clone(app.Config), routes: map[string]*picasso.Route{}}
	return nil
}

// UpdateApp replaces the app's config; ENOTFOUND when it is absent.
func (rt *Runtime) UpdateApp(ctx context.Context, app *picasso.App) error {
	r := &rt.registry
	r.mu.Lock()
	defer r.mu.Unlock()
	a, ok := r.apps[app.BackendName]
	if !ok {
		return picasso.Errorf(picasso.ENOTFOUND, "App not found")
	}
	a.config = maps.Clone(app.Config)
	return nil
}

// DeleteApp removes the app; ENOTFOUND when absent, ECONFLICT while it
// has routes.
func (rt *Runtime) DeleteApp(ctx context.Context, app *picasso.App) error {
	r := &rt.registry
	r.mu.Lock()
	defer r.mu.Unlock()
	a, ok := r.apps[app.BackendName]
	if !ok {
		return picasso.Errorf(picasso.ENOTFOUND, "App not found")
	}
	if len(a.routes) > 0 {
		return picasso.Errorf(picasso.ECONFLICT, "Cannot remove apps with routes")
	}
	delete(r.apps, app.BackendName)
	return nil
}

// CreateRoute checks the image and registers the route; ENOTFOUND without
// the app, ECONFLICT when the path exists.
func (rt *Runtime) CreateRoute(ctx context.Context, app *picasso.App, route *picasso.Route) error {
	return rt.putRoute(app, route, false)
}

// UpdateRoute checks the image and replaces the route; ENOTFOUND when the
// app or the route is absent.
func (rt *Runtime) UpdateRoute(ctx context.Context, app *picasso.App, route *picasso.Route) error {
	return rt.putRoute(app, route, true)
}

// putRoute stores route in its app, which must already hold the path
// (replace) or must not (create).
func (rt *Runtime) putRoute(app *picasso.App, route *picasso.Route, replace bool) error {
	if _, err := rt.resolveImage(route.Image); err != nil {
		return err
	}
	r := &rt.registry
	r.mu.Lock()
	defer r.mu.Unlock()
	a, ok := r.apps[app.BackendName]
	if !ok {
		return picasso.Errorf(picasso.ENOTFOUND, "App not found")
	}
	switch _, exists := a.routes[route.Path]; {
	case replace && !exists:
		return picasso.Errorf(picasso.ENOTFOUND, "Route not found")
	case !replace && exists:
		return picasso.Errorf(picasso.ECONFLICT, "Route already exists")
	}
	held := cloneRoute(route)
	held.Type = picasso.RouteSync // Picasso queues async calls itself
	a.routes[route.Path] = held
	return nil
}

// DeleteRoute removes the route; a missing route or app is not an error.
func (rt *Runtime) DeleteRoute(ctx context.Context, app *picasso.App, path string) error {
	r := &rt.registry
	r.mu.Lock()
	defer r.mu.Unlock()
	if a, ok := r.apps[app.BackendName]; ok {
		delete(a.routes, path)
	}
	return nil
}

// ListApps returns the backend names of the registered apps, sorted.
func (rt *Runtime) ListApps(ctx context.Context) ([]string, error) {
	r := &rt.registry
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Sorted(maps.Keys(r.apps)), nil
}

// GetApp returns the registered app with Name set to its backend name.
func (rt *Runtime) GetApp(ctx context.Context, backendName string) (*picasso.App, error) {
	r := &rt.registry
	r.mu.Lock()
	defer r.mu.Unlock()
	a, ok := r.apps[backendName]
	if !ok {
		return nil, picasso.Errorf(picasso.ENOTFOUND, "App not found")
	}
	return &picasso.App{Name: backendName, BackendName: backendName, Config: maps.Clone(a.config)}, nil
}

// ListRoutes returns the app's registered routes ordered by path.
func (rt *Runtime) ListRoutes(ctx context.Context, app *picasso.App) ([]*picasso.Route, error) {
	r := &rt.registry
	r.mu.Lock()
	defer r.mu.Unlock()
	a, ok := r.apps[app.BackendName]
	if !ok {
		return nil, picasso.Errorf(picasso.ENOTFOUND, "App not found")
	}
	routes := make([]*picasso.Route, 0, len(a.routes))
	for _, path := range slices.Sorted(maps.Keys(a.routes)) {
		routes = append(routes, cloneRoute(a.routes[path]))
	}
	return routes, nil
}

// deletedRoute reports whether the registry knows the app but not the
// route: the route was deleted (or never created) since the runtime
// started, so calling it would run what the gateway believes is gone. An
// app the registry does not know at all, as after a restart, says nothing.
func (r *registry) deletedRoute(backendName, path string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	a, ok := r.apps[backendName]
	if !ok {
		return false
	}
	_, ok = a.routes[path]
	return !ok
}

// cloneRoute copies a route and its maps so that neither the caller nor
// the registry sees the other's later changes.
func cloneRoute(route *picasso.Route) *picasso.Route {
	c := *route
	c.Config = maps.Clone(route.Config)
	c.Headers = make(map[string][]string, len(route.Headers))
	for name, values := range route.Headers {
		c.Headers[name] = slices.Clone(values)
	}
	return &c
}
