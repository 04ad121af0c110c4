package store

import (
	"context"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
)

func TestRoutes(t *testing.T) {
	ctx := context.Background()
	forEachDatabase(t, func(t *testing.T, uri string) {
		s := openStore(t, uri)
		app := mustCreateApp(t, s, testApp(projectA, "fn"))
		other := mustCreateApp(t, s, testApp(projectA, "other"))

		t.Run("create and get round-trip every field", func(t *testing.T) {
			before := time.Now()
			route := mustCreateRoute(t, s, testRoute(app.ID, "/a/b/c"))
			wantStamp(t, "CreatedAt", route.CreatedAt, before)
			wantEqual(t, route.UpdatedAt, route.CreatedAt)
			got, err := s.GetRoute(ctx, app.ID, "/a/b/c")
			if err != nil {
				t.Fatal(err)
			}
			wantEqual(t, got, route)
		})

		t.Run("false, zero and empty values round-trip", func(t *testing.T) {
			route := &picasso.Route{AppID: app.ID, Path: "/plain", Type: picasso.RouteAsync, Format: picasso.FormatDefault}
			mustCreateRoute(t, s, route)
			got, err := s.GetRoute(ctx, app.ID, "/plain")
			if err != nil {
				t.Fatal(err)
			}
			if got.IsPublic || got.Memory != 0 || got.Image != "" || len(got.Config) != 0 || len(got.Headers) != 0 {
				t.Errorf("got %+v, want the zero values back", got)
			}
			wantEqual(t, got.Type, picasso.RouteAsync)
		})

		t.Run("duplicate path conflicts", func(t *testing.T) {
			mustCreateRoute(t, s, testRoute(app.ID, "/dup"))
			wantError(t, s.CreateRoute(ctx, testRoute(app.ID, "/dup")), picasso.ECONFLICT,
				"Route /dup already exists on app fn")
			// The same path on another app is another route.
			mustCreateRoute(t, s, testRoute(other.ID, "/dup"))
		})

		t.Run("paths are case-sensitive", func(t *testing.T) {
			mustCreateRoute(t, s, testRoute(app.ID, "/Case"))
			mustCreateRoute(t, s, testRoute(app.ID, "/case"))
			_, err := s.GetRoute(ctx, app.ID, "/CASE")
			wantError(t, err, picasso.ENOTFOUND, "Route /CASE not found")
		})

		t.Run("a route needs an existing app", func(t *testing.T) {
			missing := newID()
			wantError(t, s.CreateRoute(ctx, testRoute(missing, "/orphan")), picasso.ENOTFOUND,
				"App "+missing+" not found")
		})

		t.Run("missing routes are not found", func(t *testing.T) {
			_, err := s.GetRoute(ctx, app.ID, "/nope")
			wantError(t, err, picasso.ENOTFOUND, "Route /nope not found")
			_, err = s.GetRoute(ctx, other.ID, "/a/b/c")
			wantError(t, err, picasso.ENOTFOUND, "Route /a/b/c not found")
		})

		t.Run("update writes every field but the key and CreatedAt", func(t *testing.T) {
			clock := pinClock(t, s)
			route := mustCreateRoute(t, s, testRoute(app.ID, "/upd"))
			created := route.CreatedAt
			clock.Advance(time.Second)
			changed := &picasso.Route{
				AppID:          app.ID,
				Path:           "/upd",
				Type:           picasso.RouteAsync,
				Image:          "registry.example/hello:2.0",
				IsPublic:       false,
				ForwardToken:   true,
				Memory:         1024,
				Timeout:        300,
				MaxConcurrency: 7,
				Format:         picasso.FormatDefault,
				Config:         map[string]string{"K": "v2"},
				Headers:        map[string][]string{"X-New": {"1"}},
				CreatedAt:      created.Add(-time.Hour), // ignored
			}
			if err := s.UpdateRoute(ctx, changed); err != nil {
				t.Fatal(err)
			}
			if !changed.UpdatedAt.After(created) {
				t.Errorf("UpdatedAt %v not after CreatedAt %v", changed.UpdatedAt, created)
			}
			got, err := s.GetRoute(ctx, app.ID, "/upd")
			if err != nil {
				t.Fatal(err)
			}
			changed.CreatedAt = created
			wantEqual(t, got, changed)
		})

		t.Run("update of a missing route is not found", func(t *testing.T) {
			wantError(t, s.UpdateRoute(ctx, testRoute(app.ID, "/ghost")), picasso.ENOTFOUND, "Route /ghost not found")
		})

		t.Run("delete removes only that route", func(t *testing.T) {
			mustCreateRoute(t, s, testRoute(app.ID, "/del/one"))
			mustCreateRoute(t, s, testRoute(app.ID, "/del/two"))
			mustCreateRoute(t, s, testRoute(other.ID, "/del/one"))
			if err := s.DeleteRoute(ctx, app.ID, "/del/one"); err != nil {
				t.Fatal(err)
			}
			_, err := s.GetRoute(ctx, app.ID, "/del/one")
			wantError(t, err, picasso.ENOTFOUND, "Route /del/one not found")
			for _, key := range []struct{ app, path string }{{app.ID, "/del/two"}, {other.ID, "/del/one"}} {
				if _, err := s.GetRoute(ctx, key.app, key.path); err != nil {
					t.Errorf("route %s of app %s lost: %v", key.path, key.app, err)
				}
			}
			if _, err := s.GetApp(ctx, projectA, "fn"); err != nil {
				t.Errorf("app lost: %v", err)
			}
			wantError(t, s.DeleteRoute(ctx, app.ID, "/del/one"), picasso.ENOTFOUND, "Route /del/one not found")
		})
	})
}

func TestListRoutes(t *testing.T) {
	ctx := context.Background()
	forEachDatabase(t, func(t *testing.T, uri string) {
		s := openStore(t, uri)
		app := mustCreateApp(t, s, testApp(projectA, "fn"))
		other := mustCreateApp(t, s, testApp(projectA, "other"))
		for _, path := range []string{"/b", "/a/z", "/a", "/B", "/a/b/c", "/c"} {
			mustCreateRoute(t, s, testRoute(app.ID, path))
		}
		mustCreateRoute(t, s, testRoute(other.ID, "/other"))
		want := []string{"/B", "/a", "/a/b/c", "/a/z", "/b", "/c"}

		all, err := s.ListRoutes(ctx, app.ID, picasso.Page{})
		if err != nil {
			t.Fatal(err)
		}
		wantEqual(t, routePaths(all), want)
		wantEqual(t, all[0].Headers, testRoute("", "").Headers)

		var paged []string
		page := picasso.Page{Limit: 4}
		for range len(want) {
			routes, err := s.ListRoutes(ctx, app.ID, page)
			if err != nil {
				t.Fatal(err)
			}
			if len(routes) > page.Limit {
				t.Fatalf("page of %d routes, limit %d", len(routes), page.Limit)
			}
			if len(routes) == 0 {
				break
			}
			paged = append(paged, routePaths(routes)...)
			page.Marker = routes[len(routes)-1].Path
		}
		wantEqual(t, paged, want)

		none, err := s.ListRoutes(ctx, newID(), picasso.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if len(none) != 0 {
			t.Errorf("unknown app lists %v", routePaths(none))
		}
	})
}
