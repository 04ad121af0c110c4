package fn

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/picasso-faas/picasso"
)

// rollbackTimeout bounds the cleanup of a half-created route, which runs
// even when the caller's context has ended.
const rollbackTimeout = 10 * time.Second

// CreateRoute creates the route's fn and then its HTTP trigger; when the
// trigger cannot be created the fn is deleted again, so a failure leaves
// nothing behind.
func (c *Client) CreateRoute(ctx context.Context, app *picasso.App, route *picasso.Route) error {
	var created fnObject
	err := c.withAppID(ctx, app.BackendName, func(appID string) error {
		return c.do(ctx, http.MethodPost, c.urls.fns(), newFnRequest(appID, route), &created)
	})
	if err != nil {
		return routeWriteError(err)
	}
	c.ids.setFn(created.AppID, created.Name, created.ID)

	trigger := &triggerRequest{Name: created.Name, AppID: created.AppID, FnID: created.ID, Type: "http", Source: route.Path}
	if err := c.do(ctx, http.MethodPost, c.urls.triggers(), trigger, nil); err != nil {
		rollbackCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
		defer cancel()
		if rbErr := c.do(rollbackCtx, http.MethodDelete, c.urls.fn(created.ID), nil, nil); rbErr == nil || isStatus(rbErr, http.StatusNotFound) {
			c.ids.forgetFn(created.AppID, created.Name)
		}
		return routeWriteError(err)
	}
	return nil
}

// routeWriteError rewords Fn's answers about fns and triggers in terms of
// routes, which is what Picasso's callers know.
func routeWriteError(err error) error {
	switch {
	case isStatus(err, http.StatusConflict):
		return picasso.Wrap(picasso.ECONFLICT, err, "Route already exists")
	case isStatus(err, http.StatusNotFound) && fnMessage(err) == "App not found":
		return picasso.Wrap(picasso.ENOTFOUND, err, "App not found")
	case isStatus(err, http.StatusNotFound):
		return picasso.Wrap(picasso.ENOTFOUND, err, "Route not found")
	}
	return err
}

// UpdateRoute makes the route's fn match route (Fn merges a PUT, so the
// driver sends deletions explicitly) and recreates its trigger if it went
// missing.
func (c *Client) UpdateRoute(ctx context.Context, app *picasso.App, route *picasso.Route) error {
	a, err := c.lookupApp(ctx, app.BackendName)
	if err != nil {
		return err
	}
	name := fnName(route.Path)
	current, err := c.lookupFn(ctx, a.ID, name)
	if err != nil {
		return err
	}
	if current == nil {
		return picasso.Errorf(picasso.ENOTFOUND, "Route not found")
	}
	if err := c.do(ctx, http.MethodPut, c.urls.fn(current.ID), updateFnRequest(current, route), nil); err != nil {
		return routeWriteError(err)
	}
	return routeWriteError(c.ensureTrigger(ctx, a.ID, current.ID, name, route.Path))
}

// ensureTrigger creates the fn's trigger unless it exists, which repairs a
// route whose trigger was deleted behind Picasso's back.
func (c *Client) ensureTrigger(ctx context.Context, appID, fnID, name, path string) error {
	t, err := c.lookupTrigger(ctx, appID, name)
	if err != nil || t != nil {
		return err
	}
	return c.do(ctx, http.MethodPost, c.urls.triggers(), &triggerRequest{Name: name, AppID: appID, FnID: fnID, Type: "http", Source: path}, nil)
}

// DeleteRoute deletes the route's trigger and fn. Whatever is already
// gone, the app included, counts as deleted. Like UpdateRoute and
// ListRoutes it looks the app id up afresh: with a stale cached id Fn
// would list nothing rather than answer 404, hiding the app's real state.
func (c *Client) DeleteRoute(ctx context.Context, app *picasso.App, path string) error {
	a, err := c.lookupApp(ctx, app.BackendName)
	if picasso.IsCode(err, picasso.ENOTFOUND) {
		return nil
	}
	if err != nil {
		return err
	}
	name := fnName(path)
	t, err := c.lookupTrigger(ctx, a.ID, name)
	if err != nil {
		return err
	}
	if t != nil {
		if err := c.do(ctx, http.MethodDelete, c.urls.trigger(t.ID), nil, nil); err != nil && !isStatus(err, http.StatusNotFound) {
			return err
		}
	}
	return c.deleteFn(ctx, a.ID, name)
}

// deleteFn deletes the app's fn by name, a missing one included.
func (c *Client) deleteFn(ctx context.Context, appID, name string) error {
	id, ok := c.ids.fn(appID, name)
	if ok {
		err := c.do(ctx, http.MethodDelete, c.urls.fn(id), nil, nil)
		c.ids.forgetFn(appID, name)
		if !isStatus(err, http.StatusNotFound) {
			return err
		}
		// A stale id: the name may now belong to another fn.
	}
	f, err := c.lookupFn(ctx, appID, name)
	if err != nil || f == nil {
		return err
	}
	err = c.do(ctx, http.MethodDelete, c.urls.fn(f.ID), nil, nil)
	c.ids.forgetFn(appID, name)
	if isStatus(err, http.StatusNotFound) {
		return nil
	}
	return err
}

// ListRoutes returns the app's routes ordered by path: every fn with an
// HTTP trigger. An fn without one cannot be called and is left out.
func (c *Client) ListRoutes(ctx context.Context, app *picasso.App) ([]*picasso.Route, error) {
	a, err := c.lookupApp(ctx, app.BackendName)
	if err != nil {
		return nil, err
	}
	fns, err := listAll[fnObject](ctx, c, c.urls.fns(), url.Values{"app_id": {a.ID}})
	if err != nil {
		return nil, err
	}
	triggers, err := listAll[triggerObject](ctx, c, c.urls.triggers(), url.Values{"app_id": {a.ID}})
	if err != nil {
		return nil, err
	}
	byFn := make(map[string]*triggerObject, len(triggers))
	for i := range triggers {
		if triggers[i].Type == "http" {
			byFn[triggers[i].FnID] = &triggers[i]
		}
	}
	routes := make([]*picasso.Route, 0, len(fns))
	for i := range fns {
		if t := byFn[fns[i].ID]; t != nil {
			routes = append(routes, fns[i].toRoute(app.ID, t))
		}
	}
	slices.SortFunc(routes, func(a, b *picasso.Route) int { return strings.Compare(a.Path, b.Path) })
	return routes, nil
}
