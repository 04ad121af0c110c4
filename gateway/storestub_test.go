package gateway_test

import (
	"context"
	"reflect"

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
	return stubOr(s.createApp, s.Store.CreateApp)(ctx, app)
}

func (s *storeStub) UpdateApp(ctx context.Context, app *picasso.App) error {
	return stubOr(s.updateApp, s.Store.UpdateApp)(ctx, app)
}

func (s *storeStub) DeleteApp(ctx context.Context, appID string) error {
	return stubOr(s.deleteApp, s.Store.DeleteApp)(ctx, appID)
}

func (s *storeStub) CreateRoute(ctx context.Context, route *picasso.Route) error {
	return stubOr(s.createRoute, s.Store.CreateRoute)(ctx, route)
}

func (s *storeStub) UpdateRoute(ctx context.Context, route *picasso.Route) error {
	return stubOr(s.updateRoute, s.Store.UpdateRoute)(ctx, route)
}

func (s *storeStub) DeleteRoute(ctx context.Context, appID, path string) error {
	return stubOr(s.deleteRoute, s.Store.DeleteRoute)(ctx, appID, path)
}

// stubOr returns stubbed, or real when no stub was set.
func stubOr[F any](stubbed, real F) F {
	if reflect.ValueOf(stubbed).IsNil() {
		return real
	}
	return stubbed
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
