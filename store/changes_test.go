package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
)

// TestEveryWriteRecordsWhatItChanged: each write of an app or a route
// appends exactly the key it changed to the change feed; failed writes
// append nothing, and Changes returns the gaps it is asked for again.
func TestEveryWriteRecordsWhatItChanged(t *testing.T) {
	ctx := context.Background()
	forEachDatabase(t, func(t *testing.T, uri string) {
		s := openStore(t, uri)
		if last, err := s.LastChange(ctx); err != nil || last != 0 {
			t.Fatalf("fresh database: LastChange() = %d, %v", last, err)
		}
		app := testApp(projectA, "feed")
		route := testRoute("", "/feed")
		writes := []struct {
			name string
			do   func() error
			path string
		}{
			{"CreateApp", func() error { return s.CreateApp(ctx, app) }, ""},
			{"UpdateApp", func() error { return s.UpdateApp(ctx, app) }, ""},
			{"CreateRoute", func() error { route.AppID = app.ID; return s.CreateRoute(ctx, route) }, "/feed"},
			{"UpdateRoute", func() error { return s.UpdateRoute(ctx, route) }, "/feed"},
			{"DeleteRoute", func() error { return s.DeleteRoute(ctx, app.ID, route.Path) }, "/feed"},
			{"DeleteApp", func() error { return s.DeleteApp(ctx, app.ID) }, ""},
		}
		var last int64
		for _, w := range writes {
			if err := w.do(); err != nil {
				t.Fatalf("%s: %v", w.name, err)
			}
			changes, err := s.Changes(ctx, last, nil, 10)
			if err != nil || len(changes) != 1 {
				t.Fatalf("after %s: changes %v, %v; want one", w.name, changes, err)
			}
			if ch := changes[0]; ch.BackendName != app.BackendName || ch.Path != w.path || ch.ID <= last {
				t.Fatalf("after %s: change %+v, want %s %q above %d", w.name, ch, app.BackendName, w.path, last)
			}
			last = changes[0].ID
		}

		taken := mustCreateApp(t, s, testApp(projectA, "taken"))
		if err := s.CreateApp(ctx, testApp(projectA, "taken")); !picasso.IsCode(err, picasso.ECONFLICT) {
			t.Fatalf("duplicate CreateApp: %v", err)
		}
		if err := s.DeleteRoute(ctx, taken.ID, "/none"); !picasso.IsCode(err, picasso.ENOTFOUND) {
			t.Fatalf("DeleteRoute of a missing route: %v", err)
		}
		changes, err := s.Changes(ctx, last, nil, 10)
		if err != nil || len(changes) != 1 || changes[0].BackendName != taken.BackendName {
			t.Fatalf("after one good and two failed writes: %v, %v; want the good one only", changes, err)
		}
		again, err := s.Changes(ctx, changes[0].ID, []int64{last}, 10)
		if err != nil || len(again) != 1 || again[0].ID != last {
			t.Fatalf("Changes with a gap: %v, %v; want the entry %d", again, err, last)
		}
	})
}

func TestPruneChangesKeepsTheNewest(t *testing.T) {
	ctx := context.Background()
	forEachDatabase(t, func(t *testing.T, uri string) {
		s := openStore(t, uri)
		for i := range 3 {
			mustCreateApp(t, s, testApp(projectA, fmt.Sprintf("p%d", i)))
		}
		last, err := s.LastChange(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := s.PruneChanges(ctx, time.Now().Add(time.Hour), 100); err != nil || n != 2 {
			t.Fatalf("PruneChanges = %d, %v; want the 2 older entries", n, err)
		}
		mustCreateApp(t, s, testApp(projectA, "after"))
		changes, err := s.Changes(ctx, 0, nil, 10)
		if err != nil || len(changes) != 2 || changes[0].ID != last || changes[1].ID <= last {
			t.Fatalf("after the prune: %v, %v; want the newest entry %d and one above it", changes, err, last)
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
		if changes, err := s.Changes(ctx, 0, nil, 100); err != nil || len(changes) != 4*writers {
			t.Errorf("%d changes, %v; want %d", len(changes), err, 4*writers)
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
