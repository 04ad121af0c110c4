package gateway_test

import (
	"context"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/gateway"
)

// storeStub is a picasso.Store whose methods a test can replace one by
// one: a nil field calls the real store it wraps. It makes the store fail
// at exactly the step a test is about, e.g. after the backend succeeded.
type storeStub struct {
	picasso.Store
	createApp   func(ctx context.Context, app *picasso.App) error
	updateApp   func(ctx context.Context, app *picasso.App) error
	deleteApp   func(ctx context.Context, appID string) error
	createRoute func(ctx context.Context, route *picasso.Route) error
	updateRoute func(ctx context.Context, route *picasso.Route) error
	deleteRoute func(ctx context.Context, appID, path string) error
}

func (s *storeStub) CreateApp(ctx context.Context, app *picasso.App) error {
	if s.createApp != nil {
		return s.createApp(ctx, app)
	}
	return s.Store.CreateApp(ctx, app)
}

func (s *storeStub) UpdateApp(ctx context.Context, app *picasso.App) error {
	if s.updateApp != nil {
		return s.updateApp(ctx, app)
	}
	return s.Store.UpdateApp(ctx, app)
}

func (s *storeStub) DeleteApp(ctx context.Context, appID string) error {
	if s.deleteApp != nil {
		return s.deleteApp(ctx, appID)
	}
	return s.Store.DeleteApp(ctx, appID)
}

func (s *storeStub) CreateRoute(ctx context.Context, route *picasso.Route) error {
	if s.createRoute != nil {
		return s.createRoute(ctx, route)
	}
	return s.Store.CreateRoute(ctx, route)
}

func (s *storeStub) UpdateRoute(ctx context.Context, route *picasso.Route) error {
	if s.updateRoute != nil {
		return s.updateRoute(ctx, route)
	}
	return s.Store.UpdateRoute(ctx, route)
}

func (s *storeStub) DeleteRoute(ctx context.Context, appID, path string) error {
	if s.deleteRoute != nil {
		return s.deleteRoute(ctx, appID, path)
	}
	return s.Store.DeleteRoute(ctx, appID, path)
}

// errStoreDown is what a stubbed store step answers.
var errStoreDown = picasso.Errorf(picasso.EUNAVAILABLE, "Database unavailable")

// withStore makes the harness's gateway use stub, wrapping its store.
func withStore(stub *storeStub) harnessOption {
	return func(_ *gateway.Config, d *gateway.Deps) {
		stub.Store = d.Store
		d.Store = stub
	}
}
