package ironfunctions

import (
	"context"
	"net/http"
	"slices"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/backend/driver"
)

// CreateRoute creates the route. IronFunctions would create a missing app
// on the fly; the app is checked first so that an ownership bug upstream
// can never create backend apps: ENOTFOUND instead.
func (c *Client) CreateRoute(ctx context.Context, app *picasso.App, route *picasso.Route) error {
	// Paths IronFunctions cannot parse make it panic: only send clean ones.
	if err := picasso.ValidateRoutePath(route.Path); err != nil {
		return err
	}
	u, err := c.urls.routes(app.BackendName)
	if err != nil {
		return err
	}
	if _, err := c.GetApp(ctx, app.BackendName); err != nil {
		return err
	}
	body := routeRequest{Route: routeBody{
		Path:           route.Path,
		Image:          route.Image,
		Memory:         route.Memory,
		Type:           picasso.RouteSync, // Picasso queues async calls itself
		Format:         route.Format,
		MaxConcurrency: route.MaxConcurrency,
		Timeout:        route.Timeout,
		Headers:        canonicalHeaders(route.Headers),
		Config:         withoutEmpty(route.Config),
	}}
	return c.do(ctx, "create route", http.MethodPost, u, body, nil)
}

// getRoute returns the backend's copy of a route; ENOTFOUND if the app or
// the route is absent.
func (c *Client) getRoute(ctx context.Context, app *picasso.App, path string) (*routeResult, error) {
	u, err := c.urls.route(app.BackendName, path)
	if err != nil {
		return nil, err
	}
	var out routeEnvelope
	if err := c.do(ctx, "get route", http.MethodGet, u, nil, &out); err != nil {
		return nil, err
	}
	if out.Route == nil {
		return nil, driver.InvalidResponse(errMissingObject)
	}
	return out.Route, nil
}

// UpdateRoute makes the backend's route equal route, despite PATCH's
// merge rules: config keys to drop are sent as "", and since headers
// append, a header whose values change is deleted (empty list) in a first
// PATCH and set in a second. If the second PATCH fails the route lacks
// those headers until the update is retried, which converges.
func (c *Client) UpdateRoute(ctx context.Context, app *picasso.App, route *picasso.Route) error {
	current, err := c.getRoute(ctx, app, route.Path)
	if err != nil {
		return err
	}
	u, err := c.urls.route(app.BackendName, route.Path)
	if err != nil {
		return err
	}
	deletes, sets := headerPatches(current.Headers, canonicalHeaders(route.Headers))
	first := routeRequest{Route: routeBody{
		Image:          route.Image,
		Memory:         route.Memory,
		Type:           picasso.RouteSync, // Picasso queues async calls itself
		Format:         route.Format,
		MaxConcurrency: route.MaxConcurrency,
		Timeout:        route.Timeout,
		Headers:        deletes,
		Config:         configPatch(current.Config, route.Config),
	}}
	if err := c.do(ctx, "update route", http.MethodPatch, u, first, nil); err != nil {
		return err
	}
	if len(sets) == 0 {
		return nil
	}
	second := routeRequest{Route: routeBody{Headers: sets}}
	return c.do(ctx, "update route headers", http.MethodPatch, u, second, nil)
}

// headerPatches splits the change from current to desired headers into a
// first PATCH (deletions as empty lists, plus headers that are new) and a
// second one (new values of headers the first deleted).
func headerPatches(current, desired map[string][]string) (first, second map[string][]string) {
	first, second = map[string][]string{}, map[string][]string{}
	for name, values := range current {
		if !slices.Equal(values, desired[name]) {
			first[name] = []string{}
			if len(desired[name]) > 0 {
				second[name] = desired[name]
			}
		}
	}
	for name, values := range desired {
		if _, ok := current[name]; !ok && len(values) > 0 {
			first[name] = values
		}
	}
	return first, second
}

// canonicalHeaders merges names that differ only in case: IronFunctions
// stores PATCHed headers under canonical names, so only canonical names
// can be deleted later.
func canonicalHeaders(headers map[string][]string) map[string][]string {
	out := make(map[string][]string, len(headers))
	for name, values := range headers {
		if len(values) > 0 {
			key := http.CanonicalHeaderKey(name)
			out[key] = append(out[key], values...)
		}
	}
	return out
}

// DeleteRoute removes the route; IronFunctions answers 200 whether or not
// it existed, which is the contract.
func (c *Client) DeleteRoute(ctx context.Context, app *picasso.App, path string) error {
	u, err := c.urls.route(app.BackendName, path)
	if err != nil {
		return err
	}
	return c.do(ctx, "delete route", http.MethodDelete, u, nil, nil)
}

// ListRoutes returns the app's routes. IronFunctions answers 200 [] for
// an unknown app, so the app is looked up first to give ENOTFOUND.
func (c *Client) ListRoutes(ctx context.Context, app *picasso.App) ([]*picasso.Route, error) {
	u, err := c.urls.routes(app.BackendName)
	if err != nil {
		return nil, err
	}
	if _, err := c.GetApp(ctx, app.BackendName); err != nil {
		return nil, err
	}
	var out routesEnvelope
	if err := c.do(ctx, "list routes", http.MethodGet, u, nil, &out); err != nil {
		return nil, err
	}
	routes := make([]*picasso.Route, len(out.Routes))
	for i := range out.Routes {
		routes[i] = out.Routes[i].toRoute(app.ID)
	}
	return routes, nil
}
