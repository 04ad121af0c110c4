// Package ironfunctions is Picasso's driver for the IronFunctions v1 API.
// It is written against the server's observed behaviour
// (ironfunctions-v1.md in the shared docs), not its swagger: it checks
// existence where IronFunctions answers with lying status codes, never
// sends requests that make it panic, works around its PATCH merge rules,
// drops route JWT keys and turns its error bodies into picasso errors with
// client-safe messages.
package ironfunctions

import (
	"net"
	"net/http"
	"time"

	"github.com/picasso-faas/picasso"
)

// Options tune the client; zero values take the defaults.
type Options struct {
	// Timeout bounds each management call (apps, routes). Default 10s.
	Timeout time.Duration
	// PingTimeout bounds Ping. Default 2s.
	PingTimeout time.Duration
	// DialTimeout bounds connection setup. Default 5s.
	DialTimeout time.Duration
	// InvokeMargin is added to a route's timeout when Invoke is called
	// without a deadline; the gateway normally sets one. Default 5s.
	InvokeMargin time.Duration
	// MaxIdleConnsPerHost is the size of the keep-alive pool. Default 256.
	MaxIdleConnsPerHost int
}

func (o *Options) setDefaults() {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.PingTimeout <= 0 {
		o.PingTimeout = 2 * time.Second
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = 5 * time.Second
	}
	if o.InvokeMargin <= 0 {
		o.InvokeMargin = 5 * time.Second
	}
	if o.MaxIdleConnsPerHost <= 0 {
		o.MaxIdleConnsPerHost = 256
	}
}

// Client talks to one IronFunctions server. It is safe for concurrent use.
type Client struct {
	urls      urls
	opts      Options
	transport *http.Transport
	http      *http.Client
}

var (
	_ picasso.Backend          = (*Client)(nil)
	_ picasso.BackendInventory = (*Client)(nil)
)

// New returns a client for the server at baseURL, which may end in /v1
// and may omit the port. It does not contact the server, so Picasso
// starts while the backend is down; Ping tells readiness.
func New(baseURL string, opts Options) (*Client, error) {
	u, err := parseBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	opts.setDefaults()
	transport := &http.Transport{
		// The backend is an internal service: never route it through
		// the environment's proxy.
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: opts.DialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        opts.MaxIdleConnsPerHost,
		MaxIdleConnsPerHost: opts.MaxIdleConnsPerHost,
		IdleConnTimeout:     90 * time.Second,
		// Function responses are passed on byte for byte.
		DisableCompression: true,
	}
	return &Client{
		urls:      u,
		opts:      opts,
		transport: transport,
		http: &http.Client{
			Transport: transport,
			// IronFunctions never redirects on purpose; a redirect
			// means a wrong base URL and is reported, not followed.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}, nil
}

// Close releases idle connections.
func (c *Client) Close() { c.transport.CloseIdleConnections() }
