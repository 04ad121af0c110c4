// Package fn is the Picasso backend driver for Fn v2 (fnproject/fn). A
// Picasso app is an Fn app named by App.BackendName; a route is an fn plus
// an HTTP trigger whose source is the route path; calls go through the
// trigger at /t/{app}{path}. Fn addresses objects by server ids, which the
// driver looks up by name and caches in memory only, so it keeps no state
// across restarts. docs/fn.md describes the API.
package fn

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/backend/driver"
)

var _ driver.Driver = (*Client)(nil)

// maxManagementBody caps what the driver reads of a management answer;
// Fn's pages of 100 objects are far smaller.
const maxManagementBody = 8 << 20

// Options tune the client; zero values take the defaults of the driver
// package, which all HTTP drivers share.
type Options = driver.Options

// Client talks to one Fn server. It is safe for concurrent use.
type Client struct {
	urls urls
	opts Options
	http *http.Client
	ids  idCache
}

// New returns a client of the Fn server at baseURL, e.g.
// "http://fn:8080" or "http://fn:8080/v2/". It does not contact the
// server, so Picasso starts while the backend is down; Ping tells
// readiness.
func New(baseURL string, opts Options) (*Client, error) {
	u, err := parseBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	opts = opts.WithDefaults()
	return &Client{urls: u, opts: opts, http: driver.NewHTTPClient(opts), ids: newIDCache()}, nil
}

// Close releases idle connections.
func (c *Client) Close(context.Context) error {
	c.http.CloseIdleConnections()
	return nil
}

// Ping asks Fn for its version.
func (c *Client) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.opts.PingTimeout)
	defer cancel()
	return c.do(ctx, http.MethodGet, c.urls.version(), nil, nil)
}

// do sends one management request with a JSON body (when in is not nil)
// and decodes the JSON answer into out (when not nil). Error answers come
// back as *picasso.Error with the *apiError as cause.
func (c *Client) do(ctx context.Context, method, target string, in, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, target, nil)
	if err != nil {
		return picasso.Wrap(picasso.EINTERNAL, err, "Internal error")
	}
	answer, err := driver.SendJSON(c.http, req, in, maxManagementBody)
	if err != nil {
		return err
	}
	// Anything but a success is an error, a redirect included: it means
	// a wrong base URL (see driver.NewHTTPClient).
	if answer.Status < 200 || answer.Status > 299 {
		return statusError(newAPIError(method, req.URL, answer.Status, answer.Body))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(answer.Body, out); err != nil {
		return driver.InvalidResponse(fmt.Errorf("fn: %s %s: decoding the answer: %w", method, req.URL.Path, err))
	}
	return nil
}

// query returns target with the query parameters set.
func query(target string, params url.Values) string {
	if len(params) == 0 {
		return target
	}
	return target + "?" + params.Encode()
}
