package gateway

import (
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/picasso-faas/picasso"
)

// handleMethodNotAllowed answers a known path asked with a method it does
// not serve: OPTIONS gets 204, anything else 405, both with Allow listing
// what the path serves.
func (s *Server) handleMethodNotAllowed() http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Allow", strings.Join(s.allowedMethods(r), ", "))
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
		return picasso.Errorf(picasso.EBADMETHOD, "Method %s is not allowed on this resource", r.Method)
	})
}

// allowedMethods asks the router which methods r's path serves.
func (s *Server) allowedMethods(r *http.Request) []string {
	allowed := []string{}
	for _, method := range []string{
		http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete,
	} {
		probe := r.Clone(r.Context())
		probe.Method = method
		var match mux.RouteMatch
		if s.router.Match(probe, &match) && match.MatchErr == nil {
			allowed = append(allowed, method)
		}
	}
	return append(allowed, http.MethodOptions)
}
