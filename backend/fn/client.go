// Package fn is the Picasso backend driver for Fn v2 (fnproject/fn). A
// Picasso app is an Fn app named by App.BackendName; a route is an fn plus
// an HTTP trigger whose source is the route path; calls go through the
// trigger at /t/{app}{path}. Fn addresses objects by server ids, which the
// driver looks up by name and caches in memory only, so it keeps no state
// across restarts. See /work/shared/docs/fn-v2.md for the API.
package fn

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/picasso-faas/picasso"
)

var (
	_ picasso.Backend          = (*Client)(nil)
	_ picasso.BackendInventory = (*Client)(nil)
)

// DefaultTimeout bounds each management call when Options.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// maxManagementBody caps what the driver reads of a management answer;
// Fn's pages of 100 objects are far smaller.
const maxManagementBody = 8 << 20

// Options tune a Client.
type Options struct {
	// Timeout bounds each management call (not invocations, which run
	// until the caller's context ends). Zero means DefaultTimeout.
	Timeout time.Duration
}

// Client talks to one Fn server. It is safe for concurrent use.
type Client struct {
	urls    urls
	http    *http.Client
	timeout time.Duration
	ids     idCache
}

// New returns a client of the Fn server at baseURL, e.g.
// "http://fn:8080" or "http://fn:8080/v2/".
func New(baseURL string, opts Options) (*Client, error) {
	u, err := parseBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	transport := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 128,
		IdleConnTimeout:     90 * time.Second,
		// Function bodies are passed through untouched.
		DisableCompression: true,
	}
	return &Client{
		urls:    u,
		http:    &http.Client{Transport: transport},
		timeout: opts.Timeout,
		ids:     newIDCache(),
	}, nil
}

// Ping asks Fn for its version.
func (c *Client) Ping(ctx context.Context) error {
	return c.do(ctx, http.MethodGet, c.urls.version(), nil, nil)
}

// do sends one management request with a JSON body (when in is not nil)
// and decodes the JSON answer into out (when not nil). Error answers come
// back as *picasso.Error with the *apiError as cause.
func (c *Client) do(ctx context.Context, method, target string, in, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return picasso.Wrap(picasso.EINTERNAL, err, "Internal error")
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return picasso.Wrap(picasso.EINTERNAL, err, "Internal error")
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return transportError(ctx, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxManagementBody))
	if err != nil {
		return transportError(ctx, err)
	}
	if resp.StatusCode >= 400 {
		return statusError(newAPIError(method, req.URL, resp.StatusCode, data))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return picasso.Wrap(picasso.EBADGATEWAY, fmt.Errorf("fn: %s %s: decoding the answer: %w", method, req.URL.Path, err), "Invalid answer from the function backend")
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
