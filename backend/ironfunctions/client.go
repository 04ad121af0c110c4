// Package ironfunctions is Picasso's driver for the IronFunctions v1 API.
// It is written against the server's observed behaviour
// (docs/ironfunctions.md), not its swagger: it checks
// existence where IronFunctions answers with lying status codes, never
// sends requests that make it panic, works around its PATCH merge rules,
// drops route JWT keys and turns its error bodies into picasso errors with
// client-safe messages.
package ironfunctions

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/backend/driver"
)

// Options tune the client; zero values take the defaults of the driver
// package, which all HTTP drivers share.
type Options = driver.Options

// Client talks to one IronFunctions server. It is safe for concurrent use.
type Client struct {
	urls urls
	opts Options
	http *http.Client
}

var _ driver.Driver = (*Client)(nil)

// New returns a client for the server at baseURL, which may end in /v1
// and may omit the port. It does not contact the server, so Picasso
// starts while the backend is down; Ping tells readiness.
func New(baseURL string, opts Options) (*Client, error) {
	u, err := parseBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	opts = opts.WithDefaults()
	return &Client{urls: u, opts: opts, http: driver.NewHTTPClient(opts)}, nil
}

// Close releases idle connections.
func (c *Client) Close(context.Context) error {
	c.http.CloseIdleConnections()
	return nil
}

// maxManagementBody bounds a management response (a long route list).
const maxManagementBody = 32 << 20

// newRequest builds a request for an already built URL, sparing a parse.
func newRequest(ctx context.Context, method string, u *url.URL, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, "", body)
	if err != nil {
		return nil, picasso.Wrap(picasso.EINVALID, err, "Invalid request method")
	}
	req.URL = u
	req.Host = u.Host
	return req, nil
}

// do runs one management call under the client's timeout and decodes a
// 200 answer into out (when not nil).
func (c *Client) do(ctx context.Context, op, method string, u *url.URL, in, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	req, err := newRequest(ctx, method, u, nil)
	if err != nil {
		return err
	}
	answer, err := driver.SendJSON(c.http, req, in, maxManagementBody)
	if err != nil {
		return err
	}
	if answer.Status != http.StatusOK {
		return statusError(op, answer.Status, answer.Body)
	}
	if out != nil {
		if err := json.Unmarshal(answer.Body, out); err != nil {
			return driver.InvalidResponse(err)
		}
	}
	return nil
}

// Ping asks GET /version (at the root, not under /v1) with a short
// deadline; any failure is EUNAVAILABLE, which readiness reports.
func (c *Client) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.opts.PingTimeout)
	defer cancel()
	req, err := newRequest(ctx, http.MethodGet, c.urls.version(), nil)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return picasso.Wrap(picasso.EUNAVAILABLE, err, driver.MsgUnavailable)
	}
	defer resp.Body.Close()
	var out struct {
		Version string `json:"version"`
	}
	decodeErr := json.NewDecoder(io.LimitReader(resp.Body, maxErrorBody)).Decode(&out)
	if resp.StatusCode != http.StatusOK || decodeErr != nil || out.Version == "" {
		cause := fmt.Errorf("ironfunctions: ping: HTTP %d (decoding: %v)", resp.StatusCode, decodeErr)
		return picasso.Wrap(picasso.EUNAVAILABLE, cause, driver.MsgUnavailable)
	}
	return nil
}
