package fn

import (
	"context"
	"net/http"
	"net/url"

	"github.com/picasso-faas/picasso"
)

// CreateApp creates the Fn app named app.BackendName with the app's config.
func (c *Client) CreateApp(ctx context.Context, app *picasso.App) error {
	var created appObject
	err := c.do(ctx, http.MethodPost, c.urls.apps(), &createAppRequest{Name: app.BackendName, Config: app.Config}, &created)
	if isStatus(err, http.StatusConflict) {
		return picasso.Wrap(picasso.ECONFLICT, err, "App already exists")
	}
	if err != nil {
		return err
	}
	c.ids.setApp(created.Name, created.ID)
	return nil
}

// UpdateApp makes the Fn app's config exactly app.Config.
func (c *Client) UpdateApp(ctx context.Context, app *picasso.App) error {
	current, err := c.lookupApp(ctx, app.BackendName)
	if err != nil {
		return err
	}
	err = c.do(ctx, http.MethodPut, c.urls.app(current.ID), &updateAppRequest{Config: mergePatch(current.Config, app.Config)}, nil)
	if isStatus(err, http.StatusNotFound) {
		c.ids.forgetApp(app.BackendName)
		return picasso.Wrap(picasso.ENOTFOUND, err, "App not found")
	}
	return err
}

// DeleteApp deletes the Fn app. Fn would delete its fns and triggers with
// it, but Picasso refuses while routes exist, so the driver checks first.
func (c *Client) DeleteApp(ctx context.Context, app *picasso.App) error {
	err := c.withAppID(ctx, app.BackendName, func(appID string) error {
		var p page[fnObject]
		params := url.Values{"app_id": {appID}, "per_page": {"1"}}
		if err := c.do(ctx, http.MethodGet, query(c.urls.fns(), params), nil, &p); err != nil {
			return err
		}
		if len(p.Items) > 0 {
			return picasso.Errorf(picasso.ECONFLICT, "App still has routes")
		}
		return c.do(ctx, http.MethodDelete, c.urls.app(appID), nil, nil)
	})
	if isStatus(err, http.StatusNotFound) {
		err = picasso.Wrap(picasso.ENOTFOUND, err, "App not found")
	}
	if err == nil || picasso.IsCode(err, picasso.ENOTFOUND) {
		c.ids.forgetApp(app.BackendName)
	}
	return err
}

// ListApps returns the names of every Fn app.
func (c *Client) ListApps(ctx context.Context) ([]string, error) {
	apps, err := listAll[appObject](ctx, c, c.urls.apps(), url.Values{})
	if err != nil {
		return nil, err
	}
	names := make([]string, len(apps))
	for i, a := range apps {
		names[i] = a.Name
	}
	return names, nil
}

// GetApp returns the Fn app named backendName.
func (c *Client) GetApp(ctx context.Context, backendName string) (*picasso.App, error) {
	a, err := c.lookupApp(ctx, backendName)
	if err != nil {
		return nil, err
	}
	return a.toApp(), nil
}
