package gateway

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/schedule"
)

// scheduleFields are the settable fields of a schedule; nil means "not
// given". StartAt and Input stay raw so that an explicit null (clear it)
// differs from an absent field (keep it).
type scheduleFields struct {
	Name     *string         `json:"name"`
	Pattern  *string         `json:"pattern"`
	Timezone *string         `json:"timezone"`
	StartAt  json.RawMessage `json:"start_at"`
	Count    *int            `json:"count"`
	Input    json.RawMessage `json:"input"`
	Enabled  *bool           `json:"enabled"`
}

type createScheduleRequest struct {
	Schedule struct {
		App       string `json:"app"`
		RoutePath string `json:"route_path"`
		scheduleFields
	} `json:"schedule"`
}

var jsonNull = []byte("null")

// applyTo sets the given fields on s and reports whether one of them
// changes when s ticks, so that its next run must be planned again.
func (f *scheduleFields) applyTo(s *picasso.Schedule) (retime bool, err error) {
	before := *s
	setIf(&s.Name, f.Name)
	setIf(&s.Pattern, f.Pattern)
	setIf(&s.Timezone, f.Timezone)
	setIf(&s.Count, f.Count)
	setIf(&s.Enabled, f.Enabled)
	if f.StartAt != nil {
		s.StartAt = time.Time{}
		if !bytes.Equal(f.StartAt, jsonNull) {
			if err := json.Unmarshal(f.StartAt, &s.StartAt); err != nil {
				return false, picasso.Errorf(picasso.EINVALID, "Invalid start_at: must be an RFC 3339 date-time such as 2026-03-01T08:00:00Z")
			}
		}
	}
	if f.Input != nil {
		s.Input = ""
		if !bytes.Equal(f.Input, jsonNull) {
			var compact bytes.Buffer
			if err := json.Compact(&compact, f.Input); err != nil {
				return false, picasso.Wrap(picasso.EINVALID, err, "Invalid input: must be a JSON value")
			}
			s.Input = compact.String()
		}
	}
	retime = s.Pattern != before.Pattern || s.Timezone != before.Timezone || !s.StartAt.Equal(before.StartAt) ||
		s.Count != before.Count || (s.Enabled && !before.Enabled)
	return retime, nil
}

// scheduleView shows a schedule. next_run_at is null while the schedule
// is disabled or after it ran its count.
type scheduleView struct {
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	App       string          `json:"app"`
	RoutePath string          `json:"route_path"`
	Pattern   string          `json:"pattern"`
	Timezone  string          `json:"timezone"`
	StartAt   *string         `json:"start_at"`
	Count     *int            `json:"count"`
	Input     json.RawMessage `json:"input"`
	Enabled   bool            `json:"enabled"`
	NextRunAt *string         `json:"next_run_at"`
	LastRunAt *string         `json:"last_run_at"`
	Runs      int             `json:"runs"`
	CreatedAt string          `json:"created_at"`
	UpdatedAt string          `json:"updated_at"`
}

func newScheduleView(s *picasso.Schedule) scheduleView {
	v := scheduleView{
		ID:        s.ID,
		Name:      s.Name,
		App:       s.AppName,
		RoutePath: s.RoutePath,
		Pattern:   s.Pattern,
		Timezone:  s.Timezone,
		StartAt:   optionalTime(s.StartAt),
		Input:     json.RawMessage(jsonNull),
		Enabled:   s.Enabled,
		LastRunAt: optionalTime(s.LastRunAt),
		Runs:      s.Runs,
		CreatedAt: formatTime(s.CreatedAt),
		UpdatedAt: formatTime(s.UpdatedAt),
	}
	if s.Count > 0 {
		v.Count = &s.Count
	}
	if s.Input != "" {
		v.Input = json.RawMessage(s.Input)
	}
	if s.Enabled {
		v.NextRunAt = optionalTime(s.NextRunAt)
	}
	return v
}

func optionalTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := formatTime(t)
	return &s
}

type scheduleResponse struct {
	Schedule scheduleView `json:"schedule"`
	Message  string       `json:"message"`
}

type schedulesResponse struct {
	Schedules  []scheduleView `json:"schedules"`
	Message    string         `json:"message"`
	NextMarker string         `json:"next_marker,omitempty"`
}

// plan validates s and computes its next run from now.
func (s *Server) plan(sched *picasso.Schedule) error {
	if err := sched.Validate(); err != nil {
		return err
	}
	return schedule.Plan(sched, s.clock.Now(), s.cfg.ScheduleMinInterval)
}

func (s *Server) handleListSchedules() http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		page, err := pageOf(r)
		if err != nil {
			return err
		}
		list, err := s.schedules.ListSchedules(r.Context(), mux.Vars(r)["project_id"], page)
		if err != nil {
			return err
		}
		resp := schedulesResponse{Schedules: make([]scheduleView, 0, len(list)), Message: "Successfully listed schedules"}
		for _, sched := range list {
			resp.Schedules = append(resp.Schedules, newScheduleView(sched))
		}
		if len(list) > 0 {
			resp.NextMarker = nextMarker(page, len(list), list[len(list)-1].ID)
		}
		writeJSON(w, http.StatusOK, resp)
		return nil
	})
}

func (s *Server) handleCreateSchedule() http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		var req createScheduleRequest
		if err := s.decodeBody(r, "createSchedule", &req); err != nil {
			return err
		}
		projectID := mux.Vars(r)["project_id"]
		app, err := s.store.GetApp(r.Context(), projectID, req.Schedule.App)
		if err != nil {
			return err
		}
		sched := &picasso.Schedule{ProjectID: projectID, AppID: app.ID, AppName: app.Name,
			RoutePath: req.Schedule.RoutePath, Enabled: true}
		if _, err := req.Schedule.applyTo(sched); err != nil {
			return err
		}
		if err := s.plan(sched); err != nil {
			return err
		}
		limit, err := s.limitOf(r.Context(), projectID, picasso.ResourceSchedules)
		if err != nil {
			return err
		}
		if err := s.schedules.CreateSchedule(r.Context(), sched, limit); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, scheduleResponse{Schedule: newScheduleView(sched), Message: "Schedule successfully created"})
		return nil
	})
}

func (s *Server) handleGetSchedule() http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		vars := mux.Vars(r)
		sched, err := s.schedules.GetSchedule(r.Context(), vars["project_id"], vars["schedule_id"])
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, scheduleResponse{Schedule: newScheduleView(sched), Message: "Schedule successfully loaded"})
		return nil
	})
}

// handleUpdateSchedule plans the next run afresh when a field that
// decides it changed, or the schedule was enabled again: ticks missed
// while it was disabled are not caught up.
func (s *Server) handleUpdateSchedule() http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		var req scheduleFields
		if err := s.decodeBody(r, "updateSchedule", &req); err != nil {
			return err
		}
		vars := mux.Vars(r)
		sched, err := s.schedules.GetSchedule(r.Context(), vars["project_id"], vars["schedule_id"])
		if err != nil {
			return err
		}
		retime, err := req.applyTo(sched)
		if err != nil {
			return err
		}
		if err := sched.Validate(); err != nil {
			return err
		}
		if retime {
			if err := s.plan(sched); err != nil {
				return err
			}
		}
		if err := s.schedules.UpdateSchedule(r.Context(), sched); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, scheduleResponse{Schedule: newScheduleView(sched), Message: "Schedule successfully updated"})
		return nil
	})
}

func (s *Server) handleDeleteSchedule() http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		vars := mux.Vars(r)
		if err := s.schedules.DeleteSchedule(r.Context(), vars["project_id"], vars["schedule_id"]); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, messageResponse{Message: "Schedule successfully deleted"})
		return nil
	})
}
