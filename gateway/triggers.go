package gateway

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/picasso-faas/picasso"
)

// triggerFields are the settable fields of a trigger; nil means "not
// given". Source and filter replace the trigger's as a whole.
type triggerFields struct {
	Name      *string                `json:"name"`
	App       *string                `json:"app"`
	RoutePath *string                `json:"route_path"`
	Source    *picasso.TriggerSource `json:"source"`
	Filter    *picasso.TriggerFilter `json:"filter"`
	Enabled   *bool                  `json:"enabled"`
}

type triggerRequest struct {
	Trigger triggerFields `json:"trigger"`
}

type triggerStatusView struct {
	MessagesReceived int64   `json:"messages_received"`
	CallsCreated     int64   `json:"calls_created"`
	Failures         int64   `json:"failures"`
	DeadLettered     int64   `json:"dead_lettered"`
	LastError        string  `json:"last_error"`
	LastErrorAt      *string `json:"last_error_at"`
}

type triggerView struct {
	ID        string                `json:"id"`
	ProjectID string                `json:"project_id"`
	Name      string                `json:"name"`
	App       string                `json:"app"`
	RoutePath string                `json:"route_path"`
	Source    picasso.TriggerSource `json:"source"`
	Filter    picasso.TriggerFilter `json:"filter"`
	Enabled   bool                  `json:"enabled"`
	Admin     bool                  `json:"admin"`
	Status    triggerStatusView     `json:"status"`
	CreatedAt string                `json:"created_at"`
	UpdatedAt string                `json:"updated_at"`
}

func newTriggerView(t *picasso.Trigger) triggerView {
	st := t.Status
	v := triggerView{
		ID: t.ID, ProjectID: t.ProjectID, Name: t.Name, App: t.AppName, RoutePath: t.RoutePath,
		Source: t.Source, Filter: t.Filter, Enabled: t.Enabled, Admin: t.Admin,
		Status: triggerStatusView{MessagesReceived: st.MessagesReceived, CallsCreated: st.CallsCreated,
			Failures: st.Failures, DeadLettered: st.DeadLettered, LastError: st.LastError},
		CreatedAt: formatTime(t.CreatedAt), UpdatedAt: formatTime(t.UpdatedAt),
	}
	if v.Filter.EventTypes == nil {
		v.Filter.EventTypes = []string{}
	}
	if v.Filter.Payload == nil {
		v.Filter.Payload = map[string]any{}
	}
	if !st.LastErrorAt.IsZero() {
		at := formatTime(st.LastErrorAt)
		v.Status.LastErrorAt = &at
	}
	return v
}

type triggerResponse struct {
	Trigger triggerView `json:"trigger"`
	Message string      `json:"message"`
}

type triggersResponse struct {
	Triggers   []triggerView `json:"triggers"`
	Message    string        `json:"message"`
	NextMarker string        `json:"next_marker,omitempty"`
}

// isAdmin reports whether the caller acts on every project; a policy
// that cannot tell makes nobody an administrator of triggers.
func (s *Server) isAdmin(r *http.Request) bool {
	checker, ok := s.policy.(picasso.AdminChecker)
	id := identityFrom(r.Context())
	return ok && id != nil && checker.IsAdmin(id)
}

// applyTrigger sets the given fields on t, resolving the app by name in
// t's project, and checks the result. Whoever writes the trigger decides
// its Admin flag: a tenant changing an administrator's trigger makes it a
// tenant's trigger, confined again.
func (s *Server) applyTrigger(r *http.Request, t *picasso.Trigger, f *triggerFields) error {
	setIf(&t.Name, f.Name)
	setIf(&t.RoutePath, f.RoutePath)
	setIf(&t.Source, f.Source)
	setIf(&t.Filter, f.Filter)
	setIf(&t.Enabled, f.Enabled)
	t.Admin = s.isAdmin(r)
	if f.App != nil || f.RoutePath != nil {
		app, err := s.store.GetApp(r.Context(), t.ProjectID, value(f.App, t.AppName))
		if err != nil {
			return err
		}
		t.AppID, t.AppName = app.ID, app.Name
	}
	if err := t.Validate(); err != nil {
		return err
	}
	if _, err := s.store.GetRoute(r.Context(), t.AppID, t.RoutePath); err != nil {
		return err
	}
	return s.checkBroker(t.Source)
}

func value(p *string, fallback string) string {
	if p != nil {
		return *p
	}
	return fallback
}

// checkBroker refuses a source this deployment cannot consume: brokers
// are named by the operator, and their URLs never leave the config.
func (s *Server) checkBroker(src picasso.TriggerSource) error {
	if src.Type == picasso.SourceOpenStack {
		if !s.cfg.Notifications {
			return picasso.Errorf(picasso.EINVALID, "This deployment does not consume OpenStack notifications")
		}
		return nil
	}
	if s.cfg.EventBrokers[src.Broker] != src.Type {
		return picasso.Errorf(picasso.EINVALID, "No %s broker named %q is configured", src.Type, src.Broker)
	}
	return nil
}

func (s *Server) handleListTriggers() http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		page, err := pageOf(r)
		if err != nil {
			return err
		}
		triggers, err := s.triggers.ListTriggers(r.Context(), mux.Vars(r)["project_id"], page)
		if err != nil {
			return err
		}
		resp := triggersResponse{Triggers: make([]triggerView, 0, len(triggers)), Message: "Successfully listed triggers"}
		for _, t := range triggers {
			resp.Triggers = append(resp.Triggers, newTriggerView(t))
		}
		if len(triggers) > 0 {
			resp.NextMarker = nextMarker(page, len(triggers), triggers[len(triggers)-1].ID)
		}
		writeJSON(w, http.StatusOK, resp)
		return nil
	})
}

func (s *Server) handleCreateTrigger() http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		var req triggerRequest
		if err := s.decodeBody(r, "createTrigger", &req); err != nil {
			return err
		}
		if req.Trigger.App == nil {
			return picasso.Errorf(picasso.EINVALID, "Missing trigger app")
		}
		t := &picasso.Trigger{ProjectID: mux.Vars(r)["project_id"], Enabled: true}
		if err := s.applyTrigger(r, t, &req.Trigger); err != nil {
			return err
		}
		limit, err := s.limitOf(r.Context(), t.ProjectID, picasso.ResourceTriggers)
		if err != nil {
			return err
		}
		if err := s.triggers.CreateTrigger(r.Context(), t, limit); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, triggerResponse{Trigger: newTriggerView(t), Message: "Trigger successfully created"})
		return nil
	})
}

func (s *Server) handleGetTrigger() http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		vars := mux.Vars(r)
		t, err := s.triggers.GetTrigger(r.Context(), vars["project_id"], vars["trigger_id"])
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, triggerResponse{Trigger: newTriggerView(t), Message: "Trigger successfully loaded"})
		return nil
	})
}

func (s *Server) handleUpdateTrigger() http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		var req triggerRequest
		if err := s.decodeBody(r, "updateTrigger", &req); err != nil {
			return err
		}
		vars := mux.Vars(r)
		t, err := s.triggers.GetTrigger(r.Context(), vars["project_id"], vars["trigger_id"])
		if err != nil {
			return err
		}
		if err := s.applyTrigger(r, t, &req.Trigger); err != nil {
			return err
		}
		if err := s.triggers.UpdateTrigger(r.Context(), t); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, triggerResponse{Trigger: newTriggerView(t), Message: "Trigger successfully updated"})
		return nil
	})
}

func (s *Server) handleDeleteTrigger() http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		vars := mux.Vars(r)
		if err := s.triggers.DeleteTrigger(r.Context(), vars["project_id"], vars["trigger_id"]); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, messageResponse{Message: "Trigger successfully deleted"})
		return nil
	})
}
