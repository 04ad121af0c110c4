package store

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
)

func TestApps(t *testing.T) {
	ctx := context.Background()
	forEachDatabase(t, func(t *testing.T, uri string) {
		s := openStore(t, uri)

		t.Run("create and get round-trip every field", func(t *testing.T) {
			before := time.Now()
			app := mustCreateApp(t, s, testApp(projectA, "web"))
			if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(app.ID) {
				t.Errorf("generated ID %q, want 32 hex digits", app.ID)
			}
			wantStamp(t, "CreatedAt", app.CreatedAt, before)
			wantEqual(t, app.UpdatedAt, app.CreatedAt)

			got, err := s.GetApp(ctx, projectA, "web")
			if err != nil {
				t.Fatal(err)
			}
			wantEqual(t, got, app)
			byBackend, err := s.GetAppByBackendName(ctx, app.BackendName)
			if err != nil {
				t.Fatal(err)
			}
			wantEqual(t, byBackend, app)
		})

		t.Run("a given ID is kept", func(t *testing.T) {
			app := testApp(projectA, "given-id")
			app.ID = "00000000000000000000000000000001"
			mustCreateApp(t, s, app)
			got, err := s.GetApp(ctx, projectA, "given-id")
			if err != nil {
				t.Fatal(err)
			}
			wantEqual(t, got.ID, app.ID)
		})

		t.Run("empty config is stored as {} and read as an empty map", func(t *testing.T) {
			app := testApp(projectA, "bare")
			app.Config, app.Description = nil, ""
			mustCreateApp(t, s, app)
			var raw string
			if err := s.db.GetContext(ctx, &raw, `SELECT config FROM apps WHERE id = ?`, app.ID); err != nil {
				t.Fatal(err)
			}
			wantEqual(t, raw, "{}")
			got, err := s.GetApp(ctx, projectA, "bare")
			if err != nil {
				t.Fatal(err)
			}
			if got.Config == nil || len(got.Config) != 0 {
				t.Errorf("Config = %#v, want an empty map", got.Config)
			}
		})

		t.Run("duplicate name in a project conflicts", func(t *testing.T) {
			mustCreateApp(t, s, testApp(projectA, "dup"))
			again := testApp(projectA, "dup")
			again.BackendName = "pfdifferentbackendnamexxxxxx"
			wantError(t, s.CreateApp(ctx, again), picasso.ECONFLICT, "App dup already exists")
			if again.ID != "" {
				t.Errorf("failed create set ID %q", again.ID)
			}
		})

		t.Run("duplicate backend name conflicts", func(t *testing.T) {
			first := mustCreateApp(t, s, testApp(projectA, "backend-a"))
			clash := testApp(projectB, "backend-b")
			clash.BackendName = first.BackendName
			wantError(t, s.CreateApp(ctx, clash), picasso.ECONFLICT, "App backend-b already exists")
		})

		t.Run("same name in two projects is fine", func(t *testing.T) {
			a := mustCreateApp(t, s, testApp(projectA, "shared"))
			b := mustCreateApp(t, s, testApp(projectB, "shared"))
			gotB, err := s.GetApp(ctx, projectB, "shared")
			if err != nil {
				t.Fatal(err)
			}
			if gotB.ID != b.ID || gotB.ID == a.ID {
				t.Errorf("project B's app has ID %s, want %s (A's is %s)", gotB.ID, b.ID, a.ID)
			}
		})

		t.Run("names are case-sensitive", func(t *testing.T) {
			upper := mustCreateApp(t, s, testApp(projectA, "Case"))
			lower := mustCreateApp(t, s, testApp(projectA, "case"))
			got, err := s.GetApp(ctx, projectA, "Case")
			if err != nil {
				t.Fatal(err)
			}
			wantEqual(t, got.ID, upper.ID)
			got, err = s.GetApp(ctx, projectA, "case")
			if err != nil {
				t.Fatal(err)
			}
			wantEqual(t, got.ID, lower.ID)
			_, err = s.GetApp(ctx, projectA, "CASE")
			wantError(t, err, picasso.ENOTFOUND, "App CASE not found")
		})

		t.Run("missing apps are not found", func(t *testing.T) {
			_, err := s.GetApp(ctx, projectA, "nope")
			wantError(t, err, picasso.ENOTFOUND, "App nope not found")
			_, err = s.GetApp(ctx, projectB, "web")
			wantError(t, err, picasso.ENOTFOUND, "App web not found")
			_, err = s.GetAppByBackendName(ctx, "pfnosuchbackendnamexxxxxxxxx")
			wantError(t, err, picasso.ENOTFOUND, "App pfnosuchbackendnamexxxxxxxxx not found")
		})

		t.Run("update writes description, config and UpdatedAt only", func(t *testing.T) {
			clock := pinClock(t, s)
			app := mustCreateApp(t, s, testApp(projectA, "upd"))
			created := app.CreatedAt
			clock.Advance(time.Second)
			app.Description = "changed"
			app.Config = map[string]string{"NEW": "value"}
			app.Name = "ignored-rename"
			if err := s.UpdateApp(ctx, app); err != nil {
				t.Fatal(err)
			}
			if !app.UpdatedAt.After(created) {
				t.Errorf("UpdatedAt %v not after CreatedAt %v", app.UpdatedAt, created)
			}
			got, err := s.GetApp(ctx, projectA, "upd")
			if err != nil {
				t.Fatal(err)
			}
			wantEqual(t, got.Description, "changed")
			wantEqual(t, got.Config, map[string]string{"NEW": "value"})
			wantEqual(t, got.CreatedAt, created)
			wantEqual(t, got.UpdatedAt, app.UpdatedAt)
		})

		t.Run("update of a missing app is not found", func(t *testing.T) {
			ghost := testApp(projectA, "ghost")
			ghost.ID = newID()
			wantError(t, s.UpdateApp(ctx, ghost), picasso.ENOTFOUND, "App ghost not found")
		})

		t.Run("delete", func(t *testing.T) {
			app := mustCreateApp(t, s, testApp(projectA, "doomed"))
			if err := s.DeleteApp(ctx, app.ID); err != nil {
				t.Fatal(err)
			}
			_, err := s.GetApp(ctx, projectA, "doomed")
			wantError(t, err, picasso.ENOTFOUND, "App doomed not found")
			wantError(t, s.DeleteApp(ctx, app.ID), picasso.ENOTFOUND, "App "+app.ID+" not found")
			// The name is free again.
			mustCreateApp(t, s, testApp(projectA, "doomed"))
		})

		t.Run("an app with routes cannot be deleted", func(t *testing.T) {
			app := mustCreateApp(t, s, testApp(projectA, "busy"))
			mustCreateRoute(t, s, testRoute(app.ID, "/one"))
			wantError(t, s.DeleteApp(ctx, app.ID), picasso.ECONFLICT, "App busy has routes; delete them first")
			if _, err := s.GetRoute(ctx, app.ID, "/one"); err != nil {
				t.Fatalf("route lost by the refused delete: %v", err)
			}
			if err := s.DeleteRoute(ctx, app.ID, "/one"); err != nil {
				t.Fatal(err)
			}
			if err := s.DeleteApp(ctx, app.ID); err != nil {
				t.Fatalf("delete after its routes: %v", err)
			}
		})
	})
}

func TestListApps(t *testing.T) {
	ctx := context.Background()
	forEachDatabase(t, func(t *testing.T, uri string) {
		s := openStore(t, uri)
		// Created out of order; byte order puts upper case first.
		for _, name := range []string{"delta", "Bravo", "alpha", "echo", "charlie", "a-1", "a_1"} {
			mustCreateApp(t, s, testApp(projectA, name))
		}
		mustCreateApp(t, s, testApp(projectB, "other-project"))
		want := []string{"Bravo", "a-1", "a_1", "alpha", "charlie", "delta", "echo"}

		all, err := s.ListApps(ctx, projectA, picasso.Page{})
		if err != nil {
			t.Fatal(err)
		}
		wantEqual(t, appNames(all), want)
		wantEqual(t, all[0].Config, testApp(projectA, "x").Config)

		var paged []string
		page := picasso.Page{Limit: 3}
		for range len(want) {
			apps, err := s.ListApps(ctx, projectA, page)
			if err != nil {
				t.Fatal(err)
			}
			if len(apps) > page.Limit {
				t.Fatalf("page of %d apps, limit %d", len(apps), page.Limit)
			}
			if len(apps) == 0 {
				break
			}
			paged = append(paged, appNames(apps)...)
			page.Marker = apps[len(apps)-1].Name
		}
		wantEqual(t, paged, want)

		// A marker need not be an existing name.
		apps, err := s.ListApps(ctx, projectA, picasso.Page{Marker: "b", Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		wantEqual(t, appNames(apps), []string{"charlie", "delta"})

		none, err := s.ListApps(ctx, "0000", picasso.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if len(none) != 0 {
			t.Errorf("unknown project lists %v", appNames(none))
		}
	})
}

func TestPageLimit(t *testing.T) {
	for _, tc := range []struct{ limit, want int }{
		{0, picasso.DefaultPageSize},
		{-5, picasso.DefaultPageSize},
		{1, 1},
		{picasso.MaxPageSize, picasso.MaxPageSize},
		{picasso.MaxPageSize + 1, picasso.MaxPageSize},
	} {
		if got := pageLimit(picasso.Page{Limit: tc.limit}); got != tc.want {
			t.Errorf("pageLimit(%d) = %d, want %d", tc.limit, got, tc.want)
		}
	}
}
