package gateway

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/picasso-faas/picasso"
)

// maxCachedRoutes bounds the cache; past it the cache starts over, which
// costs a few store reads and keeps memory bounded whatever callers send.
const maxCachedRoutes = 100_000

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
// not query the store in the steady state. Writes on this replica clear it
// at once; writes elsewhere are noticed through the store's write
// generation, polled every refresh interval (so within refresh plus one
// query, documented as one second).
type routeCache struct {
	store   picasso.Store
	refresh time.Duration

	mu      sync.RWMutex
	entries map[routeKey]resolvedRoute
	epoch   uint64 // incremented on every clear
}

func newRouteCache(store picasso.Store, refresh time.Duration) *routeCache {
	return &routeCache{store: store, refresh: refresh, entries: map[routeKey]resolvedRoute{}}
}

// invalidate forgets everything; loads that started before it are not
// stored afterwards.
func (c *routeCache) invalidate() {
	c.mu.Lock()
	clear(c.entries)
	c.epoch++
	c.mu.Unlock()
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
	entry, ok := c.entries[key]
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
	c.mu.Lock()
	if c.epoch == epoch {
		if len(c.entries) >= maxCachedRoutes {
			clear(c.entries)
		}
		c.entries[key] = entry
	}
	c.mu.Unlock()
	return entry, nil
}

// run polls the store's write generation and clears the cache when
// another replica wrote, until ctx ends. While the store is unreachable
// the cache keeps serving what it knows. The first generation read is
// the baseline: what was loaded before it is as fresh as that read, and
// clearing it then would only make the first calls query the store twice
// (or, with the store down right after start, fail).
func (c *routeCache) run(ctx context.Context, logger *slog.Logger) {
	ticker := time.NewTicker(c.refresh)
	defer ticker.Stop()
	var seen int64 = -1
	for {
		gen, err := c.store.Generation(ctx)
		switch {
		case err != nil:
			if ctx.Err() == nil {
				logger.WarnContext(ctx, "route cache refresh failed", "error", err)
			}
		case seen == -1:
			seen = gen
		case gen != seen:
			c.invalidate()
			seen = gen
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}
