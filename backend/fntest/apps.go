package fntest

import (
	"encoding/json"
	"net/http"
	"time"
)

// Stored objects are never modified in place: an update stores a new copy,
// so a response can be encoded after the lock is released.

type appRequest struct {
	ID          string                     `json:"id"`
	Name        string                     `json:"name"`
	Config      map[string]string          `json:"config"`
	Annotations map[string]json.RawMessage `json:"annotations"`
	SyslogURL   *string                    `json:"syslog_url"`
}

func (s *Server) createApp(w http.ResponseWriter, r *http.Request) {
	var req appRequest
	if !decodeBody(w, r, &req) {
		return
	}
	switch {
	case req.ID != "":
		writeError(w, http.StatusBadRequest, "App ID cannot be supplied on create")
		return
	case req.Name == "":
		writeError(w, http.StatusBadRequest, "Missing Name")
		return
	case len(req.Name) > maxNameLength:
		writeError(w, http.StatusBadRequest, "App name must be 255 characters or less")
		return
	case !validName(req.Name):
		writeError(w, http.StatusBadRequest, "Invalid app name")
		return
	}
	annotations, msg := applyAnnotations(nil, req.Annotations, true)
	if msg != "" {
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.appByName(req.Name) != nil {
		writeError(w, http.StatusConflict, "App already exists")
		return
	}
	now := time.Now()
	a := &app{
		ID:          s.ids.next(now),
		Name:        req.Name,
		Config:      mergeConfig(nil, req.Config),
		Annotations: annotations,
		CreatedAt:   timestamp(now),
		UpdatedAt:   timestamp(now),
	}
	if req.SyslogURL != nil {
		a.SyslogURL = *req.SyslogURL
	}
	s.apps[a.ID] = a
	writeJSON(w, http.StatusOK, a)
}

func (s *Server) getApp(w http.ResponseWriter, id string) {
	s.mu.Lock()
	a := s.apps[id]
	s.mu.Unlock()
	if a == nil {
		writeError(w, http.StatusNotFound, "App not found")
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *Server) listApps(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	s.mu.Lock()
	var items []*app
	for _, a := range s.apps {
		if name == "" || a.Name == name {
			items = append(items, a)
		}
	}
	s.mu.Unlock()
	writePage(w, r, items, func(a *app) string { return a.Name })
}

func (s *Server) updateApp(w http.ResponseWriter, r *http.Request, id string) {
	var req appRequest
	if !decodeBody(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.apps[id]
	switch {
	case old == nil:
		writeError(w, http.StatusNotFound, "App not found")
		return
	case req.Name != "" && req.Name != old.Name:
		writeError(w, http.StatusConflict, "Could not update - name is immutable")
		return
	}
	annotations, msg := applyAnnotations(old.Annotations, req.Annotations, false)
	if msg != "" {
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	a := *old
	a.Config = mergeConfig(old.Config, req.Config)
	a.Annotations = annotations
	if req.SyslogURL != nil {
		a.SyslogURL = *req.SyslogURL
	}
	a.UpdatedAt = timestamp(time.Now())
	s.apps[id] = &a
	writeJSON(w, http.StatusOK, &a)
}

// deleteApp cascades to the app's fns and triggers, as Fn does.
func (s *Server) deleteApp(w http.ResponseWriter, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.apps[id] == nil {
		writeError(w, http.StatusNotFound, "App not found")
		return
	}
	delete(s.apps, id)
	for fid, f := range s.fns {
		if f.AppID == id {
			delete(s.fns, fid)
		}
	}
	for tid, t := range s.triggers {
		if t.AppID == id {
			delete(s.triggers, tid)
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// appByName must be called with s.mu held.
func (s *Server) appByName(name string) *app {
	for _, a := range s.apps {
		if a.Name == name {
			return a
		}
	}
	return nil
}
