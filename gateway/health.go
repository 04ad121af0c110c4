package gateway

import (
	"context"
	"net/http"
	"sync"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/openapi"
)

type link struct {
	Rel  string `json:"rel"`
	Href string `json:"href"`
}

type version struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Links  []link `json:"links"`
}

// handleVersions answers GET / with the OpenStack version discovery
// document, so catalog clients can find the v1 API.
func (s *Server) handleVersions() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		base := s.baseURL(r)
		writeJSON(w, http.StatusOK, map[string][]version{"versions": {{
			ID:     "v1",
			Status: "CURRENT",
			Links: []link{
				{Rel: "self", Href: base + "/v1/"},
				{Rel: "describedby", Href: base + "/api/swagger.json"},
			},
		}}})
	})
}

// handleHealth says the process is alive; it calls no dependency.
func (s *Server) handleHealth() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

type readiness struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

// handleReady checks every dependency in parallel, each within the ready
// timeout, and names the ones that are down. Error texts stay in the log:
// they may hold internal addresses.
func (s *Server) handleReady() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.ReadyTimeout)
		defer cancel()
		result := readiness{Status: "ok", Checks: make(map[string]string, len(s.checks))}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, c := range s.checks {
			wg.Go(func() {
				err := c.Check(ctx)
				mu.Lock()
				defer mu.Unlock()
				result.Checks[c.Name] = "ok"
				if err != nil {
					result.Checks[c.Name] = "down"
					result.Status = "down"
					s.logger.WarnContext(r.Context(), "readiness check failed", "check", c.Name, "error", err)
				}
			})
		}
		wg.Wait()
		status := http.StatusOK
		if result.Status != "ok" {
			status = http.StatusServiceUnavailable
		}
		writeJSON(w, status, result)
	})
}

func handleSpec() http.Handler {
	spec := openapi.JSON()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(spec)
	})
}

func (s *Server) handleNotFound() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, picasso.Errorf(picasso.ENOTFOUND, "Resource not found"))
	})
}

func (s *Server) handleMethodNotAllowed() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusMethodNotAllowed, errorBody{Error: errorDetail{
			Message:   "Method " + r.Method + " is not allowed on this resource",
			RequestID: requestIDFrom(r.Context()),
		}})
	})
}
