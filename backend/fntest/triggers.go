package fntest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

type triggerRequest struct {
	ID          string                     `json:"id"`
	Name        string                     `json:"name"`
	AppID       string                     `json:"app_id"`
	FnID        string                     `json:"fn_id"`
	Type        string                     `json:"type"`
	Source      string                     `json:"source"`
	Annotations map[string]json.RawMessage `json:"annotations"`
}

const httpEndpointAnnotation = "fnproject.io/trigger/httpEndpoint"

// validateTriggerCreate reproduces Trigger.Validate's checks and messages.
func validateTriggerCreate(req *triggerRequest) string {
	switch {
	case req.ID != "":
		return "ID cannot be provided for Trigger creation"
	case req.Name == "":
		return "Missing name on Trigger"
	case req.AppID == "":
		return "Missing App ID on Trigger"
	case len(req.Name) > maxNameLength:
		return "Trigger name must be 255 characters or less"
	case !validName(req.Name):
		return "Invalid name for Trigger"
	case req.FnID == "":
		return "Missing Fn ID on Trigger"
	case req.Type != "http":
		return "Trigger Type Not Supported"
	case req.Source == "":
		return "Missing Trigger Source"
	case !strings.HasPrefix(req.Source, "/"):
		return "Missing Trigger Source Prefix '/'"
	}
	return ""
}

func (s *Server) createTrigger(w http.ResponseWriter, r *http.Request) {
	var req triggerRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if msg := validateTriggerCreate(&req); msg != "" {
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	annotations, msg := applyAnnotations(nil, req.Annotations, true)
	if msg != "" {
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.apps[req.AppID]
	if a == nil {
		writeError(w, http.StatusNotFound, "App not found")
		return
	}
	f := s.fns[req.FnID]
	switch {
	case f == nil:
		writeError(w, http.StatusNotFound, "Fn not found")
		return
	case f.AppID != req.AppID:
		writeError(w, http.StatusBadRequest, "Invalid Fn ID - not owned by specified app")
		return
	}
	if msg, ok := s.triggerClash(req.AppID, "", req.Name, req.Source); !ok {
		writeError(w, http.StatusConflict, msg)
		return
	}
	now := time.Now()
	t := &trigger{
		ID:          s.ids.next(now),
		Name:        req.Name,
		AppID:       req.AppID,
		FnID:        req.FnID,
		Type:        req.Type,
		Source:      req.Source,
		Annotations: annotations,
		CreatedAt:   timestamp(now),
		UpdatedAt:   timestamp(now),
	}
	s.triggers[t.ID] = t
	writeJSON(w, http.StatusOK, withHTTPEndpoint(r, a.Name, t))
}

// triggerClash reports whether another trigger of the app (not selfID)
// has the name or the source; must be called with s.mu held.
func (s *Server) triggerClash(appID, selfID, name, source string) (string, bool) {
	for _, t := range s.triggers {
		if t.AppID != appID || t.ID == selfID {
			continue
		}
		if t.Name == name {
			return "Trigger already exists", false
		}
		if t.Source == source {
			return "Trigger with the same type and source exists on this app", false
		}
	}
	return "", true
}

func withHTTPEndpoint(r *http.Request, appName string, t *trigger) *trigger {
	out := *t
	out.Annotations = withAnnotation(t.Annotations, httpEndpointAnnotation, fmt.Sprintf("http://%s/t/%s%s", r.Host, appName, t.Source))
	return &out
}

func (s *Server) getTrigger(w http.ResponseWriter, r *http.Request, id string) {
	s.mu.Lock()
	t := s.triggers[id]
	var appName string
	if t != nil {
		appName = s.apps[t.AppID].Name
	}
	s.mu.Unlock()
	if t == nil {
		writeError(w, http.StatusNotFound, "Trigger not found")
		return
	}
	writeJSON(w, http.StatusOK, withHTTPEndpoint(r, appName, t))
}

func (s *Server) listTriggers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	appID, fnID, name := q.Get("app_id"), q.Get("fn_id"), q.Get("name")
	if appID == "" {
		writeError(w, http.StatusBadRequest, "Missing App ID on Trigger")
		return
	}
	s.mu.Lock()
	var items []*trigger
	for _, t := range s.triggers {
		if t.AppID == appID && (fnID == "" || t.FnID == fnID) && (name == "" || t.Name == name) {
			items = append(items, t)
		}
	}
	s.mu.Unlock()
	writePage(w, r, items, func(t *trigger) string { return t.Name })
}

// updateTrigger merges the source and annotations; the rest is fixed.
func (s *Server) updateTrigger(w http.ResponseWriter, r *http.Request, id string) {
	var req triggerRequest
	if !decodeBody(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.triggers[id]
	switch {
	case old == nil:
		writeError(w, http.StatusNotFound, "Trigger not found")
		return
	case req.ID != "" && req.ID != id:
		writeError(w, http.StatusBadRequest, "ID in path does not match ID in body")
		return
	case req.Source != "" && !strings.HasPrefix(req.Source, "/"):
		writeError(w, http.StatusBadRequest, "Missing Trigger Source Prefix '/'")
		return
	}
	t := *old
	if req.Source != "" {
		t.Source = req.Source
	}
	if msg, ok := s.triggerClash(t.AppID, id, t.Name, t.Source); !ok {
		writeError(w, http.StatusConflict, msg)
		return
	}
	annotations, msg := applyAnnotations(old.Annotations, req.Annotations, false)
	if msg != "" {
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	t.Annotations = annotations
	t.UpdatedAt = timestamp(time.Now())
	s.triggers[id] = &t
	writeJSON(w, http.StatusOK, &t)
}

func (s *Server) deleteTrigger(w http.ResponseWriter, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.triggers[id] == nil {
		writeError(w, http.StatusNotFound, "Trigger not found")
		return
	}
	delete(s.triggers, id)
	w.WriteHeader(http.StatusNoContent)
}
