package fntest

import (
	"encoding/json"
	"net/http"
	"strings"
)

// route dispatches like Fn's router: unknown paths get 404 "Path not found",
// known paths with another method 405 "Method not allowed".
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if rest, ok := strings.CutPrefix(path, "/t/"); ok {
		s.invokeTrigger(w, r, rest)
		return
	}
	seg := strings.Split(strings.Trim(path, "/"), "/")
	type handlers map[string]func()
	var h handlers
	switch {
	case path == "/":
		h = handlers{http.MethodGet: func() {
			writeJSON(w, http.StatusOK, map[string]string{"goto": "https://github.com/fnproject/fn", "hello": "world!"})
		}}
	case path == "/version":
		h = handlers{http.MethodGet: func() { writeJSON(w, http.StatusOK, map[string]string{"version": Version}) }}
	case len(seg) == 2 && seg[0] == "invoke":
		h = handlers{http.MethodPost: func() { s.invokeFn(w, r, seg[1]) }}
	case len(seg) == 2 && seg[0] == "v2" && seg[1] == "apps":
		h = handlers{http.MethodGet: func() { s.listApps(w, r) }, http.MethodPost: func() { s.createApp(w, r) }}
	case len(seg) == 3 && seg[0] == "v2" && seg[1] == "apps":
		h = handlers{
			http.MethodGet:    func() { s.getApp(w, seg[2]) },
			http.MethodPut:    func() { s.updateApp(w, r, seg[2]) },
			http.MethodDelete: func() { s.deleteApp(w, seg[2]) },
		}
	case len(seg) == 2 && seg[0] == "v2" && seg[1] == "fns":
		h = handlers{http.MethodGet: func() { s.listFns(w, r) }, http.MethodPost: func() { s.createFn(w, r) }}
	case len(seg) == 3 && seg[0] == "v2" && seg[1] == "fns":
		h = handlers{
			http.MethodGet:    func() { s.getFn(w, r, seg[2]) },
			http.MethodPut:    func() { s.updateFn(w, r, seg[2]) },
			http.MethodDelete: func() { s.deleteFn(w, seg[2]) },
		}
	case len(seg) >= 4 && len(seg) <= 6 && seg[0] == "v2" && seg[1] == "fns" && seg[3] == "calls":
		// The calls API was removed; Fn still routes it to say so.
		h = handlers{http.MethodGet: func() { writeError(w, http.StatusGone, "The calls API has been removed") }}
	case len(seg) == 2 && seg[0] == "v2" && seg[1] == "triggers":
		h = handlers{http.MethodGet: func() { s.listTriggers(w, r) }, http.MethodPost: func() { s.createTrigger(w, r) }}
	case len(seg) == 3 && seg[0] == "v2" && seg[1] == "triggers":
		h = handlers{
			http.MethodGet:    func() { s.getTrigger(w, r, seg[2]) },
			http.MethodPut:    func() { s.updateTrigger(w, r, seg[2]) },
			http.MethodDelete: func() { s.deleteTrigger(w, seg[2]) },
		}
	default:
		writeError(w, http.StatusNotFound, "Path not found: "+r.Method+" "+path)
		return
	}
	handle, ok := h[r.Method]
	if !ok {
		writeError(w, http.StatusMethodNotAllowed, "Method not allowed: "+r.Method+" "+path)
		return
	}
	handle()
}

// Version is what GET /version reports.
const Version = "0.3.753"

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// writeError writes Fn's flat error body.
func writeError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]string{"message": message})
}

// decodeBody reads a JSON request body into v, answering 400 itself when
// the body is not JSON.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "Invalid JSON")
		return false
	}
	return true
}
