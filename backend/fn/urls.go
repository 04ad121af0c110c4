package fn

import (
	"net/url"
	"strings"

	"github.com/picasso-faas/picasso"
)

// urls builds the Fn endpoints from the server root (scheme, host, port
// and any path prefix of a reverse proxy, without /v2).
type urls struct{ root string }

// parseBaseURL accepts the server URL with or without /v2, with or
// without a port and with or without a trailing slash. Errors do not
// repeat the URL, which could carry a password.
func parseBaseURL(raw string) (urls, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return urls{}, picasso.Errorf(picasso.EINVALID, "Invalid Fn URL: want http(s)://host[:port][/v2]")
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return urls{}, picasso.Errorf(picasso.EINVALID, "Invalid Fn URL: no credentials, query or fragment")
	}
	path := strings.TrimRight(u.Path, "/")
	path = strings.TrimSuffix(path, "/v2")
	return urls{root: u.Scheme + "://" + u.Host + path}, nil
}

func (u urls) version() string          { return u.root + "/version" }
func (u urls) apps() string             { return u.root + "/v2/apps" }
func (u urls) app(id string) string     { return u.apps() + "/" + url.PathEscape(id) }
func (u urls) fns() string              { return u.root + "/v2/fns" }
func (u urls) fn(id string) string      { return u.fns() + "/" + url.PathEscape(id) }
func (u urls) triggers() string         { return u.root + "/v2/triggers" }
func (u urls) trigger(id string) string { return u.triggers() + "/" + url.PathEscape(id) }

// invoke is the HTTP trigger URL of a route. Route paths and backend app
// names are validated to need no escaping.
func (u urls) invoke(appName, path, rawQuery string) string {
	target := u.root + "/t/" + appName + path
	if rawQuery != "" {
		target += "?" + rawQuery
	}
	return target
}
