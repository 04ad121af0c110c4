package ironfunctionstest

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// serveHTTP applies the configured failures, then dispatches like
// IronFunctions' gin router: on the decoded path, with a bare "Not Found"
// for anything it does not know.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r.Method+" "+r.URL.RequestURI())
	down, latency, fail := s.down, s.latency, 0
	if s.failLeft > 0 {
		s.failLeft--
		fail = s.failCode
	}
	s.mu.Unlock()

	if down {
		panic(http.ErrAbortHandler)
	}
	if latency > 0 {
		t := time.NewTimer(latency)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
	}
	if fail != 0 {
		writeError(w, fail, "injected failure")
		return
	}
	s.dispatch(w, r)
}

func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case p == "/" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]string{"goto": "https://github.com/iron-io/functions", "hello": "world!"})
	case p == "/version" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]string{"version": "0.2.72"})
	case p == "/stats" && r.Method == http.MethodGet:
		s.handleStats(w)
	case p == "/v1/routes" && r.Method == http.MethodGet:
		// The upstream handler dereferences a nil app: the connection dies.
		panic(http.ErrAbortHandler)
	case p == "/v1/apps":
		s.dispatchApps(w, r)
	case strings.HasPrefix(p, "/v1/apps/"):
		s.dispatchApp(w, r, strings.TrimPrefix(p, "/v1/apps/"))
	case strings.HasPrefix(p, "/r/"):
		appName, rest, ok := strings.Cut(strings.TrimPrefix(p, "/r/"), "/")
		if !ok || appName == "" {
			notFound(w)
			return
		}
		s.handleInvoke(w, r, appName, "/"+rest)
	default:
		notFound(w)
	}
}

func (s *Server) dispatchApps(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		s.handleListApps(w)
	case http.MethodPost:
		s.handleCreateApp(w, r)
	default:
		notFound(w)
	}
}

// dispatchApp serves /v1/apps/{app}, /v1/apps/{app}/routes and the
// catch-all /v1/apps/{app}/routes/{path…}.
func (s *Server) dispatchApp(w http.ResponseWriter, r *http.Request, rest string) {
	appName, sub, hasSub := strings.Cut(rest, "/")
	if appName == "" {
		notFound(w)
		return
	}
	switch {
	case !hasSub:
		switch r.Method {
		case http.MethodGet:
			s.handleGetApp(w, appName)
		case http.MethodPatch:
			s.handlePatchApp(w, r, appName)
		case http.MethodDelete:
			s.handleDeleteApp(w, appName)
		default:
			notFound(w)
		}
	case sub == "routes":
		switch r.Method {
		case http.MethodGet:
			s.handleListRoutes(w, r, appName)
		case http.MethodPost:
			s.handleCreateRoute(w, r, appName)
		default:
			notFound(w)
		}
	case strings.HasPrefix(sub, "routes/"):
		routePath := strings.TrimPrefix(sub, "routes")
		switch r.Method {
		case http.MethodGet:
			s.handleGetRoute(w, appName, routePath)
		case http.MethodPatch:
			s.handlePatchRoute(w, r, appName, routePath)
		case http.MethodDelete:
			s.handleDeleteRoute(w, appName, routePath)
		default:
			notFound(w)
		}
	default:
		notFound(w)
	}
}

func (s *Server) handleStats(w http.ResponseWriter) {
	s.mu.Lock()
	complete := len(s.calls)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]int{"Queue": 0, "Running": 0, "Complete": complete})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

type errorMessage struct {
	Message string `json:"message"`
}

type errorBody struct {
	RequestID string       `json:"request_id,omitempty"`
	Error     errorMessage `json:"error"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{Error: errorMessage{msg}})
}

func notFound(w http.ResponseWriter) {
	writeJSON(w, http.StatusNotFound, "Not Found")
}

// decodeBody reads a JSON envelope; false means the 400 "Invalid JSON"
// was written.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "Invalid JSON")
		return false
	}
	return true
}
