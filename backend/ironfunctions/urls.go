package ironfunctions

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/picasso-faas/picasso"
)

// urls builds the server's URLs. Paths are kept decoded in url.URL.Path
// and escaped by net/url when sent; names and route paths are checked
// first, so a "/" or dot segment can never address another resource, and
// no empty app name can turn into the panicking /v1/routes.
type urls struct {
	scheme string
	host   string
	prefix string // path before /v1, without a trailing slash
}

// parseBaseURL accepts http(s)://host[:port][/prefix][/v1][/].
func parseBaseURL(raw string) (urls, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return urls{}, fmt.Errorf("ironfunctions: invalid base URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return urls{}, fmt.Errorf("ironfunctions: base URL %q: scheme must be http or https", raw)
	}
	if u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return urls{}, fmt.Errorf("ironfunctions: base URL %q: want http(s)://host[:port][/v1]", raw)
	}
	prefix := strings.TrimRight(u.Path, "/")
	prefix = strings.TrimRight(strings.TrimSuffix(prefix, "/v1"), "/")
	return urls{scheme: u.Scheme, host: u.Host, prefix: prefix}, nil
}

func (u urls) build(path, rawQuery string) *url.URL {
	return &url.URL{Scheme: u.scheme, Host: u.host, Path: u.prefix + path, RawQuery: rawQuery}
}

func (u urls) version() *url.URL { return u.build("/version", "") }
func (u urls) apps() *url.URL    { return u.build("/v1/apps", "") }

func (u urls) app(name string) (*url.URL, error) {
	if err := checkAppName(name); err != nil {
		return nil, err
	}
	return u.build("/v1/apps/"+name, ""), nil
}

func (u urls) routes(app string) (*url.URL, error) {
	if err := checkAppName(app); err != nil {
		return nil, err
	}
	return u.build("/v1/apps/"+app+"/routes", ""), nil
}

func (u urls) route(app, path string) (*url.URL, error) {
	if err := checkAppName(app); err != nil {
		return nil, err
	}
	if err := checkPath(path); err != nil {
		return nil, err
	}
	return u.build("/v1/apps/"+app+"/routes"+path, ""), nil
}

func (u urls) invoke(app, path, rawQuery string) (*url.URL, error) {
	if err := checkAppName(app); err != nil {
		return nil, err
	}
	if err := checkPath(path); err != nil {
		return nil, err
	}
	return u.build("/r/"+app+path, rawQuery), nil
}

func checkAppName(name string) error {
	if name == "" || strings.Contains(name, "/") || name == "." || name == ".." {
		return picasso.Errorf(picasso.EINVALID, "Invalid backend app name %q", name)
	}
	return nil
}

// checkPath accepts any absolute path IronFunctions may hold (including
// its literal "*" and "?"), but no empty, "." or ".." segment: the server
// applies path.Clean, which would turn those into another route's path.
func checkPath(p string) error {
	if p == "/" {
		return nil
	}
	if !strings.HasPrefix(p, "/") {
		return picasso.Errorf(picasso.EINVALID, "Invalid route path %q: must start with '/'", p)
	}
	for _, seg := range strings.Split(p[1:], "/") {
		if seg == "" || seg == "." || seg == ".." {
			return picasso.Errorf(picasso.EINVALID, "Invalid route path %q: empty, '.' or '..' segment", p)
		}
	}
	return nil
}
