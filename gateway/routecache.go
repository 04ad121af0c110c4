package gateway

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/picasso-faas/picasso"
)

// Bounds of the cache. Past maxCachedRoutes the cache starts over, which
// costs a few store reads and keeps memory bounded. Unknown URLs are
// remembered apart, up to maxMissingRoutes, and only they are forgotten
// when that fills up: a flood of made-up URLs cannot evict hot routes.
const (
	maxCachedRoutes  = 100_000
	maxMissingRoutes = 10_000
)

// routeKey addresses a route either publicly (backend name and path) or
// privately (project, app name and path). A struct key costs no
// allocation per lookup, unlike a concatenated string.
type routeKey struct {
	public             bool
	project, app, path string
}

// resolvedRoute is a cache entry; a nil route records "no such route" so
// that unknown URLs cannot make every request read the store.
type resolvedRoute struct {
	app   *picasso.App
	route *picasso.Route
}

// routeCache keeps route metadata in memory so that a function call does
// not query the store in the steady state. A write on this replica drops
// the entries of what it changed at once; writes elsewhere are read from
// the store's change feed, polled every refresh interval (so within
// refresh plus one query, documented as one second), and drop only the
// entries they changed.
type routeCache struct {
	store   picasso.Store
	refresh time.Duration

	mu      sync.RWMutex
	found   map[routeKey]resolvedRoute
	missing map[routeKey]resolvedRoute
	// byApp indexes the keys of both maps by backend name, which is what
	// the change feed names.
	byApp map[string]map[routeKey]struct{}
	epoch uint64 // incremented on every removal
}

func newRouteCache(store picasso.Store, refresh time.Duration) *routeCache {
	c := &routeCache{store: store, refresh: refresh}
	c.reset()
	return c
}

func (c *routeCache) reset() {
	c.found = map[routeKey]resolvedRoute{}
	c.missing = map[routeKey]resolvedRoute{}
	c.byApp = map[string]map[routeKey]struct{}{}
	c.epoch++
}

// invalidate forgets everything; loads that started before it are not
// stored afterwards.
func (c *routeCache) invalidate() {
	c.mu.Lock()
	c.reset()
	c.mu.Unlock()
}

// forget drops the entries of the app with that backend name: all of them
// when path is "", else those of the route at path. Loads that started
// before it are not stored afterwards.
func (c *routeCache) forget(backendName, path string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	keys := c.byApp[backendName]
	for key := range keys {
		if path == "" || key.path == path {
			delete(c.found, key)
			delete(c.missing, key)
			delete(keys, key)
		}
	}
	if len(keys) == 0 {
		delete(c.byApp, backendName)
	}
	c.epoch++
}

// publicRoute resolves /r/{backend_name}{path}.
func (c *routeCache) publicRoute(ctx context.Context, backendName, path string) (resolvedRoute, error) {
	return c.resolve(ctx, routeKey{public: true, app: backendName, path: path}, func() (*picasso.App, error) {
		return c.store.GetAppByBackendName(ctx, backendName)
	})
}

// privateRoute resolves /r/{project_id}/{app}{path}.
func (c *routeCache) privateRoute(ctx context.Context, projectID, appName, path string) (resolvedRoute, error) {
	return c.resolve(ctx, routeKey{project: projectID, app: appName, path: path}, func() (*picasso.App, error) {
		return c.store.GetApp(ctx, projectID, appName)
	})
}

func (c *routeCache) resolve(ctx context.Context, key routeKey, loadApp func() (*picasso.App, error)) (resolvedRoute, error) {
	c.mu.RLock()
	entry, ok := c.found[key]
	if !ok {
		entry, ok = c.missing[key]
	}
	epoch := c.epoch
	c.mu.RUnlock()
	if ok {
		return entry, nil
	}
	app, err := loadApp()
	if err == nil {
		entry.app = app
		entry.route, err = c.store.GetRoute(ctx, app.ID, key.path)
	}
	if err != nil && !picasso.IsCode(err, picasso.ENOTFOUND) {
		return resolvedRoute{}, err
	}
	if err != nil {
		entry = resolvedRoute{}
	}
	c.keep(key, entry, app, epoch)
	return entry, nil
}

// keep stores entry under key unless something was removed since epoch.
func (c *routeCache) keep(key routeKey, entry resolvedRoute, app *picasso.App, epoch uint64) {
	backendName := key.app
	switch {
	case app != nil:
		backendName = app.BackendName
	case !key.public:
		backendName = picasso.BackendName(key.project, key.app)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch != epoch {
		return
	}
	entries, bound := c.found, maxCachedRoutes
	if entry.route == nil {
		entries, bound = c.missing, maxMissingRoutes
	}
	if len(entries) >= bound {
		if entry.route != nil {
			c.reset()
			entries = c.found
		} else {
			c.forgetMissing()
		}
	}
	entries[key] = entry
	keys := c.byApp[backendName]
	if keys == nil {
		keys = map[routeKey]struct{}{}
		c.byApp[backendName] = keys
	}
	keys[key] = struct{}{}
}

// forgetMissing drops every "no such route" entry, and only those.
func (c *routeCache) forgetMissing() {
	for backendName, keys := range c.byApp {
		for key := range keys {
			if _, ok := c.missing[key]; ok {
				delete(keys, key)
			}
		}
		if len(keys) == 0 {
			delete(c.byApp, backendName)
		}
	}
	clear(c.missing)
}

// run tails the store's change feed and drops what other replicas changed,
// until ctx ends. While the store is unreachable the cache keeps serving
// what it knows; if it was out of touch for longer than the feed keeps
// changes, it starts over.
func (c *routeCache) run(ctx context.Context, logger *slog.Logger) {
	ticker := time.NewTicker(c.refresh)
	defer ticker.Stop()
	feed := newChangeFeed(c.store, time.Now)
	for {
		switch changes, err := feed.next(ctx); {
		case err != nil:
			if ctx.Err() == nil {
				logger.WarnContext(ctx, "route cache refresh failed", "error", err)
			}
		case changes == nil:
			c.invalidate()
		default:
			for _, ch := range changes {
				c.forget(ch.BackendName, ch.Path)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}
