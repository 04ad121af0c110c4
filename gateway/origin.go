package gateway

import (
	"net"
	"net/http"
	"strings"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/openapi"
)

// Functions answer with whatever headers and content their authors choose:
// HTML, scripts, cookies. Served on the origin of the Swagger UI, where
// users type tokens, a function could read them. With Config.FunctionURL
// set, function calls (/r/ and /webhooks/) are served only on that URL's
// host, and the API and UI never are; health checks answer on both.

// isFunctionPath reports whether path is a function call URL.
func isFunctionPath(path string) bool {
	return strings.HasPrefix(path, "/r/") || strings.HasPrefix(path, "/webhooks/")
}

// onBothOrigins are the paths a load balancer may probe on either host.
var onBothOrigins = map[string]bool{"/healthz": true, "/readyz": true}

var errWrongOrigin = picasso.Errorf(picasso.ENOTFOUND, "Resource not found")

// Security headers of every API and UI response: no sniffing a JSON answer
// into HTML, no framing, no caching of answers that may hold secrets (a
// webhook's URL, a route's config), and a policy that lets a page load
// nothing (the UI: only its own embedded assets).
const apiContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// separateOrigins enforces the function origin and sets the security
// headers of API and UI responses (function responses keep their own).
func (s *Server) separateOrigins(next http.Handler) http.Handler {
	wrongOrigin := s.handle(func(http.ResponseWriter, *http.Request) error { return errWrongOrigin })
	uiPolicy := openapi.UIContentSecurityPolicy()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		function := isFunctionPath(r.URL.Path)
		if s.functionHost != "" && !onBothOrigins[r.URL.Path] && function != s.onFunctionHost(r) {
			wrongOrigin.ServeHTTP(w, r)
			return
		}
		if !function {
			h := w.Header()
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Cache-Control", "no-store")
			if r.URL.Path == openapi.UIPath || strings.HasPrefix(r.URL.Path, openapi.UIPath+"/") {
				h.Set("Content-Security-Policy", uiPolicy)
			} else {
				h.Set("Content-Security-Policy", apiContentSecurityPolicy)
			}
		}
		next.ServeHTTP(w, r)
	})
}

// onFunctionHost reports whether the request was sent to the function
// origin's host (compared without port when the configured URL has none).
func (s *Server) onFunctionHost(r *http.Request) bool {
	host := r.Host
	if !strings.Contains(s.functionHost, ":") {
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
	}
	return strings.EqualFold(host, s.functionHost)
}

// functionBaseURL is where function URLs shown to users point: the
// function origin when there is one.
func (s *Server) functionBaseURL(r *http.Request) string {
	if s.cfg.FunctionURL != "" {
		return s.cfg.FunctionURL
	}
	return s.baseURL(r)
}
