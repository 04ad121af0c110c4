package ironfunctions

import (
	"context"
	"net/http"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/backend/driver"
)

// CreateApp creates app.BackendName with the app's config; ECONFLICT if
// the name is taken.
func (c *Client) CreateApp(ctx context.Context, app *picasso.App) error {
	if err := checkAppName(app.BackendName); err != nil {
		return err
	}
	body := appRequest{App: appBody{Name: app.BackendName, Config: withoutEmpty(app.Config)}}
	return c.do(ctx, "create app", http.MethodPost, c.urls.apps(), body, nil)
}

// GetApp returns the backend's app; ENOTFOUND if absent.
func (c *Client) GetApp(ctx context.Context, backendName string) (*picasso.App, error) {
	u, err := c.urls.app(backendName)
	if err != nil {
		return nil, err
	}
	var out appEnvelope
	if err := c.do(ctx, "get app", http.MethodGet, u, nil, &out); err != nil {
		return nil, err
	}
	if out.App == nil {
		return nil, driver.InvalidResponse(errMissingObject)
	}
	return out.App.toApp(), nil
}

// ListApps returns the names of every app the backend holds.
func (c *Client) ListApps(ctx context.Context) ([]string, error) {
	var out appsEnvelope
	if err := c.do(ctx, "list apps", http.MethodGet, c.urls.apps(), nil, &out); err != nil {
		return nil, err
	}
	names := make([]string, len(out.Apps))
	for i, a := range out.Apps {
		names[i] = a.Name
	}
	return names, nil
}

// UpdateApp makes the backend's config equal app.Config. PATCH merges, so
// keys the desired config lacks are deleted explicitly with "". A value of
// "" cannot be stored on IronFunctions: it means "absent".
func (c *Client) UpdateApp(ctx context.Context, app *picasso.App) error {
	current, err := c.GetApp(ctx, app.BackendName)
	if err != nil {
		return err
	}
	patch := configPatch(current.Config, app.Config)
	if len(patch) == 0 {
		return nil
	}
	u, err := c.urls.app(app.BackendName)
	if err != nil {
		return err
	}
	return c.do(ctx, "update app", http.MethodPatch, u, appRequest{App: appBody{Config: patch}}, nil)
}

// DeleteApp removes the app: ENOTFOUND for an unknown one (IronFunctions
// says 500 "bucket not found"), ECONFLICT while it has routes.
func (c *Client) DeleteApp(ctx context.Context, app *picasso.App) error {
	u, err := c.urls.app(app.BackendName)
	if err != nil {
		return err
	}
	return c.do(ctx, "delete app", http.MethodDelete, u, nil, nil)
}

// configPatch returns the PATCH config that turns current into desired.
func configPatch(current, desired map[string]string) map[string]string {
	patch := map[string]string{}
	for k := range current {
		if desired[k] == "" {
			patch[k] = ""
		}
	}
	for k, v := range desired {
		if v != "" && current[k] != v {
			patch[k] = v
		}
	}
	return patch
}

func withoutEmpty(config map[string]string) map[string]string {
	out := make(map[string]string, len(config))
	for k, v := range config {
		if v != "" {
			out[k] = v
		}
	}
	return out
}
