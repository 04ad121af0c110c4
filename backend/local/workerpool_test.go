package local

import (
	"fmt"
	"testing"
	"time"
)

func TestWorkerPoolKeepsAtMostMaxIdleAcrossRoutes(t *testing.T) {
	pool := newWorkerPool(time.Minute, 3)
	t0 := time.Now()
	routes := []routeKey{{app: "a", path: "/1"}, {app: "a", path: "/2"}, {app: "b", path: "/1"}, {app: "b", path: "/2"}}
	workers := make([]*worker, len(routes))
	for i, route := range routes[:3] {
		workers[i] = &worker{key: fmt.Sprint(i)}
		if evicted := pool.put(route, workers[i], t0.Add(time.Duration(i)*time.Second)); evicted != nil {
			t.Fatalf("put %d of 3 evicted worker %s", i+1, evicted.key)
		}
	}
	// The fourth, of yet another route, displaces the one unused the
	// longest: the first route's.
	workers[3] = &worker{key: "3"}
	if evicted := pool.put(routes[3], workers[3], t0.Add(3*time.Second)); evicted != workers[0] {
		t.Fatalf("a put into the full pool evicted %v, want worker 0", evicted)
	}
	if w, _ := pool.take(routes[0], "0"); w != nil {
		t.Errorf("the evicted worker is still idle")
	}
	// Taking one frees a place; putting it back is then no eviction, and
	// it is the most recently used.
	w, _ := pool.take(routes[1], "1")
	if w != workers[1] {
		t.Fatalf("take gave %v, want worker 1", w)
	}
	if evicted := pool.put(routes[1], w, t0.Add(4*time.Second)); evicted != nil {
		t.Errorf("putting back a taken worker evicted %s", evicted.key)
	}
	if evicted := pool.put(routes[0], &worker{key: "4"}, t0.Add(5*time.Second)); evicted != workers[2] {
		t.Errorf("the next eviction took %v, want worker 2, now the oldest", evicted)
	}
	if n := pool.idleCount(); n != 3 {
		t.Errorf("%d idle workers, want 3", n)
	}
}

func TestWorkerPoolCountFollowsTakesAndExpiry(t *testing.T) {
	pool := newWorkerPool(time.Minute, 10)
	t0 := time.Now()
	route := routeKey{app: "a", path: "/1"}
	for i := range 4 {
		pool.put(route, &worker{key: "old"}, t0.Add(time.Duration(i)*time.Second))
	}
	// A newer version takes nothing and returns the older ones as stale.
	if w, stale := pool.take(route, "new"); w != nil || len(stale) != 4 || pool.idleCount() != 0 {
		t.Fatalf("take of a new version: worker %v, %d stale, %d idle; want none, 4, 0", w, len(stale), pool.idleCount())
	}
	for i := range 4 {
		pool.put(route, &worker{key: "new"}, t0.Add(time.Duration(i)*time.Second))
	}
	if old := pool.expired(t0.Add(2 * time.Second)); len(old) != 2 || pool.idleCount() != 2 {
		t.Errorf("expiry removed %d, %d left idle; want 2 and 2", len(old), pool.idleCount())
	}
}
