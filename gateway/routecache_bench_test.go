package gateway

import (
	"context"
	"log/slog"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/internal/testdb"
	"github.com/picasso-faas/picasso/store"
)

// BenchmarkRouteResolution is a route cache hit, what every call pays to
// find its route in the steady state; it must not allocate.
func BenchmarkRouteResolution(b *testing.B) {
	ctx := context.Background()
	db, err := store.Open(ctx, testdb.SQLiteURI(b), store.Options{AutoMigrate: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	const project = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	app := &picasso.App{ProjectID: project, Name: "bench", BackendName: picasso.BackendName(project, "bench")}
	if err := db.CreateApp(ctx, app); err != nil {
		b.Fatal(err)
	}
	route := &picasso.Route{AppID: app.ID, Path: "/hello", Image: "bench", IsPublic: true}
	route.ApplyDefaults()
	if err := db.CreateRoute(ctx, route); err != nil {
		b.Fatal(err)
	}
	cache := newRouteCache(db, time.Second)
	for _, public := range []bool{true, false} {
		name := map[bool]string{true: "public", false: "private"}[public]
		b.Run(name, func(b *testing.B) {
			resolve := func() (resolvedRoute, error) {
				if public {
					return cache.publicRoute(ctx, app.BackendName, "/hello")
				}
				return cache.privateRoute(ctx, project, "bench", "/hello")
			}
			if entry, err := resolve(); err != nil || entry.route == nil {
				b.Fatalf("route not resolved: %v", err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if entry, _ := resolve(); entry.route == nil {
					b.Fatal("cache lost the route")
				}
			}
		})
	}
}

// routeReads counts the route lookups that reach the store.
type routeReads struct {
	picasso.Store
	n atomic.Int64
}

func (r *routeReads) GetAppByBackendName(ctx context.Context, name string) (*picasso.App, error) {
	r.n.Add(1)
	return r.Store.GetAppByBackendName(ctx, name)
}

func (r *routeReads) GetRoute(ctx context.Context, appID, path string) (*picasso.Route, error) {
	r.n.Add(1)
	return r.Store.GetRoute(ctx, appID, path)
}

// BenchmarkRouteResolutionUnderWrites is a cached public route resolved
// while another project's app is written 100 times a second and the cache
// tails the change feed (every 500 ms, as in production): the writes must
// not make the calls read the store. It reports store-reads/op and the
// feed entries applied.
func BenchmarkRouteResolutionUnderWrites(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, err := store.Open(ctx, testdb.SQLiteURI(b), store.Options{AutoMigrate: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	const hot, other = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	app := &picasso.App{ProjectID: hot, Name: "bench", BackendName: picasso.BackendName(hot, "bench")}
	busy := &picasso.App{ProjectID: other, Name: "busy", BackendName: picasso.BackendName(other, "busy")}
	for _, a := range []*picasso.App{app, busy} {
		if err := db.CreateApp(ctx, a); err != nil {
			b.Fatal(err)
		}
	}
	route := &picasso.Route{AppID: app.ID, Path: "/hello", Image: "bench", IsPublic: true}
	route.ApplyDefaults()
	if err := db.CreateRoute(ctx, route); err != nil {
		b.Fatal(err)
	}
	counted := &routeReads{Store: db}
	cache := newRouteCache(counted, 500*time.Millisecond)
	go cache.run(ctx, slog.New(slog.DiscardHandler))
	var writes atomic.Int64
	go func() {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for ctx.Err() == nil {
			busy.Description = strconv.FormatInt(writes.Add(1), 10)
			db.UpdateApp(ctx, busy)
			<-tick.C
		}
	}()
	if _, err := cache.publicRoute(ctx, app.BackendName, "/hello"); err != nil {
		b.Fatal(err)
	}
	// Let the first feed read (which starts the cache over) pass.
	time.Sleep(time.Second)
	cache.publicRoute(ctx, app.BackendName, "/hello")
	reads, wrote := counted.n.Load(), writes.Load()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if entry, _ := cache.publicRoute(ctx, app.BackendName, "/hello"); entry.route == nil {
			b.Fatal("cache lost the route")
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(counted.n.Load()-reads)/float64(b.N), "store-reads/op")
	b.ReportMetric(float64(writes.Load()-wrote), "writes")
}
