package store

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/picasso-faas/picasso"
)

func TestGenerationCountsEveryWrite(t *testing.T) {
	ctx := context.Background()
	forEachDatabase(t, func(t *testing.T, uri string) {
		s := openStore(t, uri)
		generation := func() int64 {
			t.Helper()
			g, err := s.Generation(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return g
		}
		if g := generation(); g != 0 {
			t.Fatalf("fresh database at generation %d", g)
		}

		app := testApp(projectA, "gen")
		route := testRoute("", "/gen")
		writes := []struct {
			name string
			do   func() error
		}{
			{"CreateApp", func() error { return s.CreateApp(ctx, app) }},
			{"UpdateApp", func() error { return s.UpdateApp(ctx, app) }},
			{"CreateRoute", func() error { route.AppID = app.ID; return s.CreateRoute(ctx, route) }},
			{"UpdateRoute", func() error { return s.UpdateRoute(ctx, route) }},
			{"DeleteRoute", func() error { return s.DeleteRoute(ctx, app.ID, route.Path) }},
			{"DeleteApp", func() error { return s.DeleteApp(ctx, app.ID) }},
		}
		for i, w := range writes {
			if err := w.do(); err != nil {
				t.Fatalf("%s: %v", w.name, err)
			}
			if g := generation(); g != int64(i+1) {
				t.Fatalf("after %s generation %d, want %d", w.name, g, i+1)
			}
		}

		// Failed writes roll back their increment along with themselves.
		failed := int64(len(writes))
		mustCreateApp(t, s, testApp(projectA, "taken"))
		failed++
		if err := s.CreateApp(ctx, testApp(projectA, "taken")); !picasso.IsCode(err, picasso.ECONFLICT) {
			t.Fatalf("duplicate CreateApp: %v", err)
		}
		if err := s.DeleteRoute(ctx, app.ID, "/none"); !picasso.IsCode(err, picasso.ENOTFOUND) {
			t.Fatalf("DeleteRoute of a missing route: %v", err)
		}
		if g := generation(); g != failed {
			t.Fatalf("after failed writes generation %d, want %d", g, failed)
		}
	})
}

// Writers racing each other all succeed: MySQL serialises them on row
// locks, SQLite waits for the write lock instead of failing as busy.
func TestConcurrentWrites(t *testing.T) {
	ctx := context.Background()
	forEachDatabase(t, func(t *testing.T, uri string) {
		s := openStore(t, uri)
		const writers = 8
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for i := range writers {
			wg.Go(func() {
				app := testApp(projectA, fmt.Sprintf("racer-%d", i))
				if err := s.CreateApp(ctx, app); err != nil {
					errs <- err
					return
				}
				if err := s.CreateRoute(ctx, testRoute(app.ID, "/r")); err != nil {
					errs <- err
					return
				}
				if err := s.DeleteRoute(ctx, app.ID, "/r"); err != nil {
					errs <- err
					return
				}
				// Reads before it writes: SQLite must take the write
				// lock up front or two of these deadlock.
				errs <- s.DeleteApp(ctx, app.ID)
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		if g, err := s.Generation(ctx); err != nil || g != 4*writers {
			t.Errorf("Generation() = %d, %v; want %d", g, err, 4*writers)
		}
	})
}

// Names and paths are validated before they reach the store, but the
// store must store whatever it gets literally.
func TestHostileStringsAreStoredLiterally(t *testing.T) {
	ctx := context.Background()
	hostile := []string{
		`x'; DROP TABLE apps; --`,
		`" OR "1"="1`,
		`a\' OR 1=1 #`,
		"nul\x00byte",
		`%_*`,
		"ünïcødé 🚀",
	}
	forEachDatabase(t, func(t *testing.T, uri string) {
		s := openStore(t, uri)
		for i, text := range hostile {
			app := testApp(projectA, text)
			app.Description = text
			app.Config = map[string]string{text: text}
			mustCreateApp(t, s, app)
			route := testRoute(app.ID, "/"+text)
			route.Image = text
			route.Headers = map[string][]string{text: {text}}
			mustCreateRoute(t, s, route)

			got, err := s.GetApp(ctx, projectA, text)
			if err != nil {
				t.Fatalf("GetApp(%q): %v", text, err)
			}
			wantEqual(t, got, app)
			gotRoute, err := s.GetRoute(ctx, app.ID, "/"+text)
			if err != nil {
				t.Fatalf("GetRoute(%q): %v", "/"+text, err)
			}
			wantEqual(t, gotRoute, route)

			// Wildcards of LIKE mean nothing here.
			apps, err := s.ListApps(ctx, projectA, picasso.Page{})
			if err != nil {
				t.Fatal(err)
			}
			if len(apps) != i+1 {
				t.Fatalf("after %d hostile apps the project lists %q", i+1, appNames(apps))
			}
		}
	})
}
