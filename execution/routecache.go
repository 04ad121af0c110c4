package execution

import (
	"context"
	"sync"
	"time"

	"github.com/picasso-faas/picasso"
)

// routeCacheTTL is how long a worker trusts a route it read: a route
// changed or deleted meanwhile applies to queued calls this much later.
const routeCacheTTL = time.Second

// routeCache keeps the app and route of recent calls for a short while,
// so that draining many calls of one route reads it once a second rather
// than twice per call. Misses are not cached.
type routeCache struct {
	store picasso.Store
	ttl   time.Duration

	mu      sync.Mutex
	entries map[routeKey]cachedRoute
}

type routeKey struct{ project, app, path string }

type cachedRoute struct {
	app     *picasso.App
	route   *picasso.Route
	expires time.Time
}

func newRouteCache(store picasso.Store, ttl time.Duration) *routeCache {
	return &routeCache{store: store, ttl: ttl, entries: map[routeKey]cachedRoute{}}
}

func (c *routeCache) get(ctx context.Context, project, appName, path string) (*picasso.App, *picasso.Route, error) {
	key := routeKey{project, appName, path}
	now := time.Now()
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.app, e.route, nil
	}
	app, err := c.store.GetApp(ctx, project, appName)
	if err != nil {
		return nil, nil, err
	}
	route, err := c.store.GetRoute(ctx, app.ID, path)
	if err != nil {
		return nil, nil, err
	}
	c.mu.Lock()
	if len(c.entries) > 10_000 {
		c.entries = map[routeKey]cachedRoute{} // forget all rather than grow
	}
	c.entries[key] = cachedRoute{app: app, route: route, expires: now.Add(c.ttl)}
	c.mu.Unlock()
	return app, route, nil
}
