package ironfunctionstest

import (
	"net/http"
	"slices"
	"strings"
)

type appEnvelope struct {
	App *app `json:"app"`
}

// appJSON answers config null when empty, as upstream does.
func appJSON(a *app) *app {
	c := &app{Name: a.Name, Config: cloneMap(a.Config)}
	if len(c.Config) == 0 {
		c.Config = nil
	}
	return c
}

func (s *Server) handleListApps(w http.ResponseWriter) {
	s.mu.Lock()
	apps := make([]*app, 0, len(s.apps))
	for _, a := range s.apps {
		apps = append(apps, appJSON(a))
	}
	s.mu.Unlock()
	slices.SortFunc(apps, func(a, b *app) int { return strings.Compare(a.Name, b.Name) })
	writeJSON(w, http.StatusOK, map[string]any{"message": "Successfully listed applications", "apps": apps})
}

func (s *Server) handleCreateApp(w http.ResponseWriter, r *http.Request) {
	var in appEnvelope
	if !decodeBody(w, r, &in) {
		return
	}
	if in.App == nil {
		writeError(w, http.StatusBadRequest, "Missing new application")
		return
	}
	if msg := validateAppName(in.App.Name); msg != "" {
		writeError(w, http.StatusInternalServerError, "validation failure list:\n"+msg)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.apps[in.App.Name]; ok {
		writeError(w, http.StatusConflict, "App already exists")
		return
	}
	a := &app{Name: in.App.Name, Config: cloneMap(in.App.Config)}
	s.apps[a.Name] = a
	writeJSON(w, http.StatusOK, map[string]any{"message": "App successfully created", "app": appJSON(a)})
}

func (s *Server) handleGetApp(w http.ResponseWriter, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.apps[name]
	if !ok {
		writeError(w, http.StatusNotFound, "App not found")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"message": "Successfully loaded app", "app": appJSON(a)})
}

func (s *Server) handlePatchApp(w http.ResponseWriter, r *http.Request, name string) {
	var in appEnvelope
	if !decodeBody(w, r, &in) {
		return
	}
	if in.App == nil {
		writeError(w, http.StatusBadRequest, "Missing new application")
		return
	}
	if in.App.Name != "" {
		writeError(w, http.StatusBadRequest, "Could not update app - name is immutable")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.apps[name]
	if !ok {
		writeError(w, http.StatusNotFound, "App not found")
		return
	}
	mergeConfig(&a.Config, in.App.Config)
	writeJSON(w, http.StatusOK, map[string]any{"message": "App successfully updated", "app": appJSON(a)})
}

func (s *Server) handleDeleteApp(w http.ResponseWriter, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.routes[name]) > 0 {
		writeError(w, http.StatusBadRequest, "Cannot remove apps with routes")
		return
	}
	if _, ok := s.apps[name]; !ok {
		// bolt reports the app's missing bucket; upstream maps every
		// unknown datastore error to 500 with its raw text.
		writeError(w, http.StatusInternalServerError, "bucket not found")
		return
	}
	delete(s.apps, name)
	delete(s.routes, name)
	writeJSON(w, http.StatusOK, map[string]string{"message": "App deleted"})
}
