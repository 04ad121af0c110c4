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
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		base := s.baseURL(r)
		writeJSON(w, http.StatusOK, map[string][]version{"versions": {{
			ID:     "v1",
			Status: "CURRENT",
			Links: []link{
				{Rel: "self", Href: base + "/v1/"},
				{Rel: "describedby", Href: base + "/api/swagger.json"},
			},
		}}})
		return nil
	})
}

// handleHealth says the process is alive; it calls no dependency.
func (s *Server) handleHealth() http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		return nil
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
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
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
		return nil
	})
}

func (s *Server) handleSpec() http.Handler {
	spec := openapi.JSON()
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Content-Type", "application/json")
		w.Write(spec)
		return nil
	})
}

func (s *Server) handleNotFound() http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return picasso.Errorf(picasso.ENOTFOUND, "Resource not found")
	})
}
