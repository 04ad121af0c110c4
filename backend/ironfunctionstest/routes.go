package ironfunctionstest

import (
	"net/http"
	"path"
	"slices"
	"strings"
)

type routeEnvelope struct {
	Route *route `json:"route"`
}

// validationError wraps messages the way upstream's route handlers do:
// twice.
func validationError(msgs []string) string {
	return "validation failure list:\nvalidation failure list:\n" + strings.Join(msgs, "\n")
}

func (s *Server) handleListRoutes(w http.ResponseWriter, r *http.Request, appName string) {
	image := r.URL.Query().Get("image")
	s.mu.Lock()
	routes := make([]*route, 0, len(s.routes[appName]))
	for _, rt := range s.routes[appName] {
		if image == "" || rt.Image == image {
			routes = append(routes, rt.clone())
		}
	}
	s.mu.Unlock()
	slices.SortFunc(routes, func(a, b *route) int { return strings.Compare(a.Path, b.Path) })
	writeJSON(w, http.StatusOK, map[string]any{"message": "Sucessfully listed routes", "routes": routes})
}

func (s *Server) handleCreateRoute(w http.ResponseWriter, r *http.Request, appName string) {
	var in routeEnvelope
	if !decodeBody(w, r, &in) {
		return
	}
	if in.Route == nil {
		writeError(w, http.StatusBadRequest, "Missing new route")
		return
	}
	rt := in.Route
	rt.AppName = appName
	rt.setDefaults()
	if msgs := rt.validate(false); len(msgs) > 0 {
		writeError(w, http.StatusBadRequest, validationError(msgs))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.apps[appName]; !ok {
		// Upstream creates a missing app on the fly; its name error is
		// not wrapped and comes back as 500.
		if msg := validateAppName(appName); msg != "" {
			writeError(w, http.StatusInternalServerError, msg)
			return
		}
		s.apps[appName] = &app{Name: appName}
	}
	if s.routes[appName] == nil {
		s.routes[appName] = map[string]*route{}
	}
	if _, ok := s.routes[appName][rt.Path]; ok {
		writeError(w, http.StatusConflict, "Route already exists")
		return
	}
	s.routes[appName][rt.Path] = rt
	writeJSON(w, http.StatusOK, map[string]any{"message": "Route successfully created", "route": rt.clone()})
}

func (s *Server) handleGetRoute(w http.ResponseWriter, appName, routePath string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.apps[appName]; !ok {
		writeError(w, http.StatusNotFound, "App not found")
		return
	}
	rt, ok := s.routes[appName][path.Clean(routePath)]
	if !ok {
		writeError(w, http.StatusNotFound, "Route not found")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"message": "Successfully loaded route", "route": rt.clone()})
}

func (s *Server) handlePatchRoute(w http.ResponseWriter, r *http.Request, appName, routePath string) {
	var in routeEnvelope
	if !decodeBody(w, r, &in) {
		return
	}
	if in.Route == nil {
		writeError(w, http.StatusBadRequest, "Missing new route")
		return
	}
	if in.Route.Path != "" {
		writeError(w, http.StatusBadRequest, "Could not update route - path is immutable")
		return
	}
	if msgs := in.Route.validate(true); len(msgs) > 0 {
		writeError(w, http.StatusBadRequest, validationError(msgs))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rt, ok := s.routes[appName][path.Clean(routePath)]
	if !ok {
		writeError(w, http.StatusNotFound, "Route not found")
		return
	}
	rt.update(in.Route)
	writeJSON(w, http.StatusOK, map[string]any{"message": "Route successfully updated", "route": rt.clone()})
}

// handleDeleteRoute answers 200 whether or not the route existed.
func (s *Server) handleDeleteRoute(w http.ResponseWriter, appName, routePath string) {
	s.mu.Lock()
	delete(s.routes[appName], path.Clean(routePath))
	if len(s.routes[appName]) == 0 {
		delete(s.routes, appName)
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"message": "Route deleted"})
}
