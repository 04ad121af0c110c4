package gateway

import (
	"context"
	"fmt"
	"testing"

	"github.com/picasso-faas/picasso"
)

// countingStore serves one app's routes from memory and counts the reads.
type countingStore struct {
	picasso.Store
	app    *picasso.App
	routes map[string]*picasso.Route
	reads  int
}

func (s *countingStore) GetAppByBackendName(_ context.Context, name string) (*picasso.App, error) {
	s.reads++
	if name != s.app.BackendName {
		return nil, picasso.Errorf(picasso.ENOTFOUND, "App %s not found", name)
	}
	return s.app, nil
}

func (s *countingStore) GetRoute(_ context.Context, _, path string) (*picasso.Route, error) {
	s.reads++
	if r, ok := s.routes[path]; ok {
		return r, nil
	}
	return nil, picasso.Errorf(picasso.ENOTFOUND, "Route %s not found", path)
}

func newCountingStore() *countingStore {
	app := &picasso.App{ID: "1", ProjectID: "p", Name: "a", BackendName: picasso.BackendName("p", "a")}
	return &countingStore{app: app, routes: map[string]*picasso.Route{"/a": {Path: "/a"}, "/b": {Path: "/b"}}}
}

// readsFor resolves path publicly and returns how many store reads it took.
func readsFor(t *testing.T, c *routeCache, s *countingStore, backendName, path string) int {
	t.Helper()
	before := s.reads
	if _, err := c.publicRoute(context.Background(), backendName, path); err != nil {
		t.Fatal(err)
	}
	return s.reads - before
}

func TestForgetDropsOnlyWhatChanged(t *testing.T) {
	s := newCountingStore()
	c := newRouteCache(s, 0)
	app := s.app.BackendName
	for _, path := range []string{"/a", "/b", "/none"} {
		readsFor(t, c, s, app, path)
	}
	readsFor(t, c, s, "pfunknown", "/x")
	for _, path := range []string{"/a", "/b", "/none"} {
		if n := readsFor(t, c, s, app, path); n != 0 {
			t.Fatalf("cached %s read the store %d times", path, n)
		}
	}

	c.forget(app, "/a")
	if readsFor(t, c, s, app, "/a") == 0 || readsFor(t, c, s, app, "/b") != 0 || readsFor(t, c, s, app, "/none") != 0 {
		t.Fatal("a change of /a must drop /a and nothing else")
	}
	c.forget(app, "")
	for _, path := range []string{"/a", "/b", "/none"} {
		if readsFor(t, c, s, app, path) == 0 {
			t.Fatalf("a change of the whole app left %s cached", path)
		}
	}
	if readsFor(t, c, s, "pfunknown", "/x") != 0 {
		t.Fatal("a change of one app dropped another's entry")
	}
	c.forget("pfunknown", "")
	if readsFor(t, c, s, "pfunknown", "/x") == 0 {
		t.Fatal("creating an app must drop its \"no such app\" entries")
	}
}

func TestUnknownURLsCannotEvictHotRoutes(t *testing.T) {
	s := newCountingStore()
	c := newRouteCache(s, 0)
	app := s.app.BackendName
	readsFor(t, c, s, app, "/a")
	for i := range maxMissingRoutes + 100 {
		readsFor(t, c, s, fmt.Sprintf("pfmadeup%d", i), "/x")
	}
	if n := readsFor(t, c, s, app, "/a"); n != 0 {
		t.Fatalf("a flood of unknown URLs evicted the hot route (%d reads)", n)
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if len(c.missing) > maxMissingRoutes {
		t.Fatalf("%d unknown URLs remembered, bound %d", len(c.missing), maxMissingRoutes)
	}
	for name := range c.byApp {
		if name != app && len(c.byApp[name]) == 0 {
			t.Fatalf("index entry %s left empty", name)
		}
	}
}
