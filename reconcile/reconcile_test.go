package reconcile_test

import (
	"context"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/backend/ironfunctions"
	"github.com/picasso-faas/picasso/backend/ironfunctionstest"
	"github.com/picasso-faas/picasso/internal/testdb"
	"github.com/picasso-faas/picasso/reconcile"
	"github.com/picasso-faas/picasso/store"
)

const project = "0123456789abcdef0123456789abcdef"

func setup(t *testing.T) (*store.DB, *ironfunctions.Client, *ironfunctionstest.Server) {
	t.Helper()
	db, err := store.Open(context.Background(), testdb.SQLiteURI(t), store.Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	fake := ironfunctionstest.New()
	t.Cleanup(fake.Close)
	client, err := ironfunctions.New(fake.URL(), ironfunctions.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return db, client, fake
}

func newApp(t *testing.T, db *store.DB, name string) *picasso.App {
	t.Helper()
	app := &picasso.App{ProjectID: project, Name: name, BackendName: picasso.BackendName(project, name), Config: map[string]string{"K": "v"}}
	if err := db.CreateApp(context.Background(), app); err != nil {
		t.Fatal(err)
	}
	return app
}

func newRoute(t *testing.T, db *store.DB, app *picasso.App, path string) *picasso.Route {
	t.Helper()
	rt := &picasso.Route{AppID: app.ID, Path: path, Image: "iron/x"}
	rt.ApplyDefaults()
	if err := db.CreateRoute(context.Background(), rt); err != nil {
		t.Fatal(err)
	}
	return rt
}

func kinds(drifts []reconcile.Drift) map[string]int {
	m := map[string]int{}
	for _, d := range drifts {
		m[d.Kind]++
	}
	return m
}

func TestReportsAndRepairsDrift(t *testing.T) {
	ctx := context.Background()
	db, backend, _ := setup(t)

	inSync := newApp(t, db, "in-sync")
	route := newRoute(t, db, inSync, "/a")
	if err := backend.CreateApp(ctx, inSync); err != nil {
		t.Fatal(err)
	}
	if err := backend.CreateRoute(ctx, inSync, route); err != nil {
		t.Fatal(err)
	}

	missing := newApp(t, db, "missing")                        // store only
	newRoute(t, db, missing, "/m")                             // store only
	orphanRoute := &picasso.Route{Path: "/orphan", Image: "x"} // backend only
	orphanRoute.ApplyDefaults()
	if err := backend.CreateRoute(ctx, inSync, orphanRoute); err != nil {
		t.Fatal(err)
	}
	changed := *route
	changed.Image = "iron/changed-behind-our-back"
	if err := backend.UpdateRoute(ctx, inSync, &changed); err != nil {
		t.Fatal(err)
	}
	orphanApp := &picasso.App{BackendName: picasso.BackendName(project, "gone")}
	foreign := &picasso.App{BackendName: "someone-elses-app"}
	for _, a := range []*picasso.App{orphanApp, foreign} {
		if err := backend.CreateApp(ctx, a); err != nil {
			t.Fatal(err)
		}
	}

	report, err := reconcile.Run(ctx, db, backend, false)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{reconcile.AppMissing: 1, reconcile.RouteMissing: 1, reconcile.RouteOrphan: 1,
		reconcile.RouteDiffers: 1, reconcile.AppOrphan: 1}
	if got := kinds(report); !mapsEqual(got, want) {
		t.Fatalf("report = %v, want %v", got, want)
	}

	repaired, err := reconcile.Run(ctx, db, backend, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range repaired {
		if !d.Repaired {
			t.Errorf("not repaired: %+v", d)
		}
	}
	after, err := reconcile.Run(ctx, db, backend, false)
	if err != nil || len(after) != 0 {
		t.Fatalf("drift after repair: %+v, %v", after, err)
	}
	if _, err := backend.GetApp(ctx, foreign.BackendName); err != nil {
		t.Errorf("an app Picasso does not own was touched: %v", err)
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// A route missing on the backend breaks its webhooks' URLs: the report
// says how many, so that an operator knows which alarms are failing.
func TestReportsWebhooksOfMissingRoutes(t *testing.T) {
	ctx := context.Background()
	db, backend, _ := setup(t)
	app := newApp(t, db, "hooks")
	hooked := newRoute(t, db, app, "/hooked")
	newRoute(t, db, app, "/plain")
	for range 2 {
		wh := &picasso.Webhook{AppID: app.ID, RoutePath: hooked.Path, Enabled: true, TokenHash: picasso.HashWebhookToken(t.Name() + time.Now().String())}
		if err := db.CreateWebhook(ctx, wh); err != nil {
			t.Fatal(err)
		}
	}
	if err := backend.CreateApp(ctx, app); err != nil {
		t.Fatal(err)
	}
	report, err := reconcile.Run(ctx, db, backend, false)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, d := range report {
		if d.Kind == reconcile.RouteMissing {
			got[d.Path] = d.Webhooks
		}
	}
	if want := map[string]int{"/hooked": 2, "/plain": 0}; !mapsEqual(got, want) {
		t.Fatalf("webhooks of missing routes = %v, want %v", got, want)
	}
}
