// Package reconcile compares Picasso's store with what the backend holds
// and, on request, repairs the backend to match the store, which is the
// source of truth. Drift arises when a process dies between the two
// writes of a management call, or when someone edits the backend directly.
package reconcile

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/picasso-faas/picasso"
)

// Drift is one difference between the store and the backend.
type Drift struct {
	Kind        string // see the Kind constants
	BackendName string
	Path        string // routes only
	// Webhooks counts, for a route missing on the backend, its webhooks:
	// URLs (Aodh alarms, say) that answer 404 until the route is back.
	Webhooks    int `json:",omitempty"`
	Repaired    bool
	RepairError string `json:",omitempty"`
}

// Kinds of drift.
const (
	AppMissing   = "app missing on backend"
	AppDiffers   = "app config differs on backend"
	AppOrphan    = "app on backend has no owner in the store"
	RouteMissing = "route missing on backend"
	RouteDiffers = "route differs on backend"
	RouteOrphan  = "route on backend is not in the store"
)

// listPageLength is how many rows each store read of a listing returns.
const listPageLength = 500

// Lister is the part of the store the reconciler reads.
type Lister interface {
	ListAllApps(ctx context.Context, page picasso.Page) ([]*picasso.App, error)
	ListRoutes(ctx context.Context, appID string, page picasso.Page) ([]*picasso.Route, error)
	ListWebhooks(ctx context.Context, appID, path string, page picasso.Page) ([]*picasso.Webhook, error)
}

// Backend is what the reconciler needs of a backend: its management calls
// and its inventory.
type Backend interface {
	picasso.Backend
	picasso.BackendInventory
}

// Run lists every difference; with repair it also fixes each one. It stops
// only on errors that make the comparison impossible (the store or the
// backend's inventory failing).
func Run(ctx context.Context, store Lister, backend Backend, repair bool) ([]Drift, error) {
	r := &run{ctx: ctx, store: store, backend: backend, repair: repair}
	owned := map[string]bool{}
	err := eachApp(ctx, store, func(app *picasso.App) error {
		owned[app.BackendName] = true
		return r.app(app)
	})
	if err != nil {
		return r.drifts, err
	}
	names, err := backend.ListApps(ctx)
	if err != nil {
		return r.drifts, err
	}
	for _, name := range names {
		if !owned[name] {
			r.orphanApp(name)
		}
	}
	return r.drifts, nil
}

type run struct {
	ctx     context.Context
	store   Lister
	backend Backend
	repair  bool
	drifts  []Drift
}

func (r *run) record(d Drift, fix func() error) {
	if r.repair {
		if err := fix(); err != nil {
			d.RepairError = picasso.ErrorMessage(err)
		} else {
			d.Repaired = true
		}
	}
	r.drifts = append(r.drifts, d)
}

func (r *run) app(app *picasso.App) error {
	remote, err := r.backend.GetApp(r.ctx, app.BackendName)
	switch {
	case picasso.IsCode(err, picasso.ENOTFOUND):
		r.record(Drift{Kind: AppMissing, BackendName: app.BackendName}, func() error {
			return r.backend.CreateApp(r.ctx, app)
		})
	case err != nil:
		return err
	case !maps.Equal(nonNil(remote.Config), nonNil(app.Config)):
		r.record(Drift{Kind: AppDiffers, BackendName: app.BackendName}, func() error {
			return r.backend.UpdateApp(r.ctx, app)
		})
	}
	return r.routes(app)
}

func (r *run) routes(app *picasso.App) error {
	want := map[string]*picasso.Route{}
	err := eachRoute(r.ctx, r.store, app.ID, func(rt *picasso.Route) error {
		want[rt.Path] = rt
		return nil
	})
	if err != nil {
		return err
	}
	have := map[string]*picasso.Route{}
	remote, err := r.backend.ListRoutes(r.ctx, app)
	if err != nil && !picasso.IsCode(err, picasso.ENOTFOUND) {
		return err
	}
	for _, rt := range remote {
		have[rt.Path] = rt
	}
	for _, path := range slices.Sorted(maps.Keys(want)) {
		rt, got := want[path], have[path]
		switch {
		case got == nil:
			webhooks, err := countWebhooks(r.ctx, r.store, app.ID, path)
			if err != nil {
				return err
			}
			r.record(Drift{Kind: RouteMissing, BackendName: app.BackendName, Path: path, Webhooks: webhooks}, func() error {
				return r.backend.CreateRoute(r.ctx, app, rt)
			})
		case !sameRuntime(rt, got):
			r.record(Drift{Kind: RouteDiffers, BackendName: app.BackendName, Path: path}, func() error {
				return r.backend.UpdateRoute(r.ctx, app, rt)
			})
		}
	}
	for _, path := range slices.Sorted(maps.Keys(have)) {
		if want[path] == nil {
			r.record(Drift{Kind: RouteOrphan, BackendName: app.BackendName, Path: path}, func() error {
				return r.backend.DeleteRoute(r.ctx, app, path)
			})
		}
	}
	return nil
}

// orphanApp reports a backend app no project owns. Only names Picasso
// derives are repaired (deleted with their routes): anything else on the
// backend belongs to someone else.
func (r *run) orphanApp(name string) {
	if !picasso.IsBackendName(name) {
		return
	}
	r.record(Drift{Kind: AppOrphan, BackendName: name}, func() error {
		app := &picasso.App{BackendName: name}
		routes, err := r.backend.ListRoutes(r.ctx, app)
		if err != nil {
			return err
		}
		for _, rt := range routes {
			if err := r.backend.DeleteRoute(r.ctx, app, rt.Path); err != nil {
				return err
			}
		}
		return r.backend.DeleteApp(r.ctx, app)
	})
}

// sameRuntime compares the fields a backend runs a route with.
func sameRuntime(want, got *picasso.Route) bool {
	// Backends hold every route as sync (Picasso queues async calls
	// itself); an async route on the backend, e.g. one made before the
	// queue existed, would detach calls Picasso expects answered.
	return want.Image == got.Image && got.Type == picasso.RouteSync && want.Memory == got.Memory &&
		want.Timeout == got.Timeout && want.Format == got.Format &&
		maps.Equal(nonNil(want.Config), nonNil(got.Config))
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func eachApp(ctx context.Context, store Lister, f func(*picasso.App) error) error {
	page := picasso.Page{Limit: listPageLength}
	for {
		apps, err := store.ListAllApps(ctx, page)
		if err != nil {
			return fmt.Errorf("listing apps: %w", err)
		}
		for _, a := range apps {
			if err := f(a); err != nil {
				return err
			}
		}
		if len(apps) < page.Limit {
			return nil
		}
		page.Marker = apps[len(apps)-1].BackendName
	}
}

func eachRoute(ctx context.Context, store Lister, appID string, f func(*picasso.Route) error) error {
	page := picasso.Page{Limit: listPageLength}
	for {
		routes, err := store.ListRoutes(ctx, appID, page)
		if err != nil {
			return fmt.Errorf("listing routes: %w", err)
		}
		for _, rt := range routes {
			if err := f(rt); err != nil {
				return err
			}
		}
		if len(routes) < page.Limit {
			return nil
		}
		page.Marker = routes[len(routes)-1].Path
	}
}

func countWebhooks(ctx context.Context, store Lister, appID, path string) (int, error) {
	page := picasso.Page{Limit: listPageLength}
	n := 0
	for {
		webhooks, err := store.ListWebhooks(ctx, appID, path, page)
		if err != nil {
			return n, fmt.Errorf("listing webhooks: %w", err)
		}
		n += len(webhooks)
		if len(webhooks) < page.Limit {
			return n, nil
		}
		page.Marker = webhooks[len(webhooks)-1].ID
	}
}
