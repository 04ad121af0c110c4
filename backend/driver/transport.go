package driver

import (
	"net"
	"net/http"
	"time"
)

// Options tune an HTTP driver; zero values take the defaults.
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

// Defaults of Options.
const (
	DefaultTimeout             = 10 * time.Second
	DefaultPingTimeout         = 2 * time.Second
	DefaultDialTimeout         = 5 * time.Second
	DefaultInvokeMargin        = 5 * time.Second
	DefaultMaxIdleConnsPerHost = 256
)

// WithDefaults returns o with every zero field set to its default.
func (o Options) WithDefaults() Options {
	setDefault(&o.Timeout, DefaultTimeout)
	setDefault(&o.PingTimeout, DefaultPingTimeout)
	setDefault(&o.DialTimeout, DefaultDialTimeout)
	setDefault(&o.InvokeMargin, DefaultInvokeMargin)
	setDefault(&o.MaxIdleConnsPerHost, DefaultMaxIdleConnsPerHost)
	return o
}

func setDefault[T time.Duration | int](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// NewHTTPClient returns the client every HTTP driver talks to its server
// with. The server is an internal service, so the environment's proxy
// (HTTP_PROXY and friends) is never used, and a redirect is answered as it
// is instead of followed: no FaaS server redirects on purpose, so one means
// a wrong base URL, and following it could send calls elsewhere. Function
// bodies pass byte for byte, so compression is off. The client has no
// overall timeout: management calls and invocations set their deadlines
// on their contexts. Calls go through the hop transport (hop.go).
func NewHTTPClient(opts Options) *http.Client {
	opts = opts.WithDefaults()
	std := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: opts.DialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        opts.MaxIdleConnsPerHost,
		MaxIdleConnsPerHost: opts.MaxIdleConnsPerHost,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &http.Client{
		Transport:     newHopTransport(std, opts),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
