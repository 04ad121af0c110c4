package store

import (
	"context"
	"fmt"
	"testing"

	"github.com/picasso-faas/picasso"
)

// BenchmarkGetRoute is the store's share of a route-cache miss.
func BenchmarkGetRoute(b *testing.B) {
	ctx := context.Background()
	forEachDatabaseB(b, func(b *testing.B, s *DB) {
		app := testApp(projectA, "bench")
		if err := s.CreateApp(ctx, app); err != nil {
			b.Fatal(err)
		}
		if err := s.CreateRoute(ctx, testRoute(app.ID, "/hello")); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := s.GetRoute(ctx, app.ID, "/hello"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkListApps lists a full default page.
func BenchmarkListApps(b *testing.B) {
	ctx := context.Background()
	forEachDatabaseB(b, func(b *testing.B, s *DB) {
		for i := range picasso.DefaultPageSize {
			if err := s.CreateApp(ctx, testApp(projectA, fmt.Sprintf("app-%03d", i))); err != nil {
				b.Fatal(err)
			}
		}
		for b.Loop() {
			apps, err := s.ListApps(ctx, projectA, picasso.Page{})
			if err != nil || len(apps) != picasso.DefaultPageSize {
				b.Fatalf("ListApps() = %d apps, %v", len(apps), err)
			}
		}
	})
}

// BenchmarkCreateApp measures a write with its generation increment.
func BenchmarkCreateApp(b *testing.B) {
	ctx := context.Background()
	forEachDatabaseB(b, func(b *testing.B, s *DB) {
		i := 0
		for b.Loop() {
			i++
			if err := s.CreateApp(ctx, testApp(projectA, fmt.Sprintf("app-%d", i))); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func forEachDatabaseB(b *testing.B, fn func(b *testing.B, s *DB)) {
	for _, db := range databases {
		b.Run(db.name, func(b *testing.B) {
			uri := db.newURI(b)
			s, err := Open(context.Background(), uri, Options{AutoMigrate: true})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			fn(b, s)
		})
	}
}
