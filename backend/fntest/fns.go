package fntest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

type fnRequest struct {
	ID          string                     `json:"id"`
	Name        string                     `json:"name"`
	AppID       string                     `json:"app_id"`
	Image       string                     `json:"image"`
	Memory      int                        `json:"memory"`
	Timeout     int                        `json:"timeout"`
	IdleTimeout int                        `json:"idle_timeout"`
	Config      map[string]string          `json:"config"`
	Annotations map[string]json.RawMessage `json:"annotations"`
}

const invokeEndpointAnnotation = "fnproject.io/fn/invokeEndpoint"

// validateFnCreate reproduces Fn.ValidCreate's checks and messages.
func validateFnCreate(req *fnRequest) string {
	switch {
	case req.ID != "":
		return "ID cannot be provided for Fn creation"
	case req.Name == "":
		return "Missing Fn name"
	case len(req.Name) > maxNameLength:
		return "Fn name must be 255 characters or less"
	case !validName(req.Name):
		return "name must be a valid string"
	case req.AppID == "":
		return "Missing AppID on Fn"
	case req.Image == "":
		return "Missing image on Fn"
	}
	return validateFnLimits(req.Memory, req.Timeout, req.IdleTimeout)
}

func validateFnLimits(memory, timeout, idle int) string {
	switch {
	case timeout < 0 || timeout > maxTimeout:
		return "timeout value is out of range, must be between 0 and 300"
	case idle < 0 || idle > maxIdleTimeout:
		return "idle_timeout value is out of range, must be between 0 and 3600"
	case memory < 0 || memory > maxMemory:
		return "memory value is out of range. It should be between 0 and 8192"
	}
	return ""
}

func (s *Server) createFn(w http.ResponseWriter, r *http.Request) {
	var req fnRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if msg := validateFnCreate(&req); msg != "" {
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
	if s.apps[req.AppID] == nil {
		writeError(w, http.StatusNotFound, "App not found")
		return
	}
	for _, f := range s.fns {
		if f.AppID == req.AppID && f.Name == req.Name {
			writeError(w, http.StatusConflict, "Fn with specified name already exists")
			return
		}
	}
	now := time.Now()
	f := &fn{
		ID:          s.ids.next(now),
		Name:        req.Name,
		AppID:       req.AppID,
		Image:       req.Image,
		Memory:      orDefault(req.Memory, defaultMemory),
		Timeout:     orDefault(req.Timeout, defaultTimeout),
		IdleTimeout: orDefault(req.IdleTimeout, defaultIdle),
		Config:      mergeConfig(nil, req.Config),
		Annotations: annotations,
		CreatedAt:   timestamp(now),
		UpdatedAt:   timestamp(now),
	}
	s.fns[f.ID] = f
	writeJSON(w, http.StatusOK, s.withInvokeEndpoint(r, f))
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// withInvokeEndpoint adds the annotation Fn computes on create and get.
func (s *Server) withInvokeEndpoint(r *http.Request, f *fn) *fn {
	out := *f
	out.Annotations = withAnnotation(f.Annotations, invokeEndpointAnnotation, fmt.Sprintf("http://%s/invoke/%s", r.Host, f.ID))
	return &out
}

func (s *Server) getFn(w http.ResponseWriter, r *http.Request, id string) {
	s.mu.Lock()
	f := s.fns[id]
	s.mu.Unlock()
	if f == nil {
		writeError(w, http.StatusNotFound, "Fn not found")
		return
	}
	writeJSON(w, http.StatusOK, s.withInvokeEndpoint(r, f))
}

func (s *Server) listFns(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	appID, name := q.Get("app_id"), q.Get("name")
	if appID == "" {
		writeError(w, http.StatusBadRequest, "Missing AppID on Fn")
		return
	}
	s.mu.Lock()
	var items []*fn
	for _, f := range s.fns {
		if f.AppID == appID && (name == "" || f.Name == name) {
			items = append(items, f)
		}
	}
	s.mu.Unlock()
	writePage(w, r, items, func(f *fn) string { return f.Name })
}

// updateFn merges like Fn.Update: zero values keep the field, "" deletes a
// config key, and a different app_id is silently ignored.
func (s *Server) updateFn(w http.ResponseWriter, r *http.Request, id string) {
	var req fnRequest
	if !decodeBody(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.fns[id]
	switch {
	case old == nil:
		writeError(w, http.StatusNotFound, "Fn not found")
		return
	case req.Name != "" && req.Name != old.Name || req.ID != "" && req.ID != id:
		writeError(w, http.StatusBadRequest, "Fn names and IDs cannot be modified")
		return
	}
	if msg := validateFnLimits(req.Memory, req.Timeout, req.IdleTimeout); msg != "" {
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	annotations, msg := applyAnnotations(old.Annotations, req.Annotations, false)
	if msg != "" {
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	f := *old
	if req.Image != "" {
		f.Image = req.Image
	}
	f.Memory = orDefault(req.Memory, f.Memory)
	f.Timeout = orDefault(req.Timeout, f.Timeout)
	f.IdleTimeout = orDefault(req.IdleTimeout, f.IdleTimeout)
	f.Config = mergeConfig(old.Config, req.Config)
	f.Annotations = annotations
	f.UpdatedAt = timestamp(time.Now())
	s.fns[id] = &f
	// The real server's PUT response leaves the annotations out.
	resp := f
	resp.Annotations = nil
	writeJSON(w, http.StatusOK, &resp)
}

// deleteFn also removes the fn's triggers, as Fn's datastore does.
func (s *Server) deleteFn(w http.ResponseWriter, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fns[id] == nil {
		writeError(w, http.StatusNotFound, "Fn not found")
		return
	}
	delete(s.fns, id)
	for tid, t := range s.triggers {
		if t.FnID == id {
			delete(s.triggers, tid)
		}
	}
	w.WriteHeader(http.StatusNoContent)
}
