package gateway

import (
	"context"
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
