package gateway

import (
	"context"
	"maps"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/picasso-faas/picasso"
)

type createAppRequest struct {
	App struct {
		Name        string            `json:"name"`
		Description *string           `json:"description"`
		Config      map[string]string `json:"config"`
	} `json:"app"`
}

type updateAppRequest struct {
	Description *string           `json:"description"`
	Config      map[string]string `json:"config"`
}

type appResponse struct {
	App     appView `json:"app"`
	Message string  `json:"message"`
}

type appsResponse struct {
	Apps       []appView `json:"apps"`
	Message    string    `json:"message"`
	NextMarker string    `json:"next_marker,omitempty"`
}

type messageResponse struct {
	Message string `json:"message"`
}

func (s *Server) handleListApps() http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		page, err := pageOf(r)
		if err != nil {
			return err
		}
		apps, err := s.store.ListApps(r.Context(), mux.Vars(r)["project_id"], page)
		if err != nil {
			return err
		}
		resp := appsResponse{Apps: viewsOf(apps, newAppView), Message: "Successfully listed applications"}
		if len(apps) > 0 {
			resp.NextMarker = nextMarker(page, len(apps), apps[len(apps)-1].Name)
		}
		writeJSON(w, http.StatusOK, resp)
		return nil
	})
}

// handleCreateApp writes the store first, so that its unique keys decide
// races, then the backend; a backend failure removes the row again.
func (s *Server) handleCreateApp() http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		projectID := mux.Vars(r)["project_id"]
		var req createAppRequest
		if err := s.decodeBody(r, "createApp", &req); err != nil {
			return err
		}
		app := &picasso.App{
			ProjectID:   projectID,
			Name:        req.App.Name,
			BackendName: picasso.BackendName(projectID, req.App.Name),
			Description: "App for project " + projectID,
			Config:      nonNil(req.App.Config),
		}
		if req.App.Description != nil {
			app.Description = *req.App.Description
		}
		if err := app.Validate(); err != nil {
			return err
		}
		if err := s.checkConfig(app.Config); err != nil {
			return err
		}
		unlock, err := s.lockApp(r.Context(), projectID, app.Name)
		if err != nil {
			return err
		}
		defer unlock()
		limit, err := s.limitOf(r.Context(), projectID, picasso.ResourceApps)
		if err != nil {
			return err
		}
		if err := s.store.CreateAppWithin(r.Context(), app, limit); err != nil {
			return err
		}
		if err := s.createBackendApp(r.Context(), app); err != nil {
			s.undo(r, "delete app row", s.store.DeleteApp(context.WithoutCancel(r.Context()), app.ID))
			return err
		}
		s.routes.forget(app.BackendName, "")
		writeJSON(w, http.StatusOK, appResponse{App: newAppView(app), Message: "App successfully created"})
		return nil
	})
}

// createBackendApp creates the app on the backend. An app that already
// exists there under the derived name can only be this project's app left
// behind by an earlier failure, so it is adopted and brought up to date.
func (s *Server) createBackendApp(ctx context.Context, app *picasso.App) error {
	err := s.backendOp("create_app", func() error { return s.backend.CreateApp(ctx, app) })
	if picasso.IsCode(err, picasso.ECONFLICT) {
		return s.backendOp("update_app", func() error { return s.backend.UpdateApp(ctx, app) })
	}
	return err
}

func (s *Server) handleGetApp() http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		vars := mux.Vars(r)
		app, err := s.store.GetApp(r.Context(), vars["project_id"], vars["app"])
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, appResponse{App: newAppView(app), Message: "Successfully loaded app"})
		return nil
	})
}

// handleUpdateApp changes description and config. Config merges like
// IronFunctions': a key set to "" is deleted. The backend is written
// first: if it refuses, the store is untouched; if the store then fails,
// the backend gets the old app back.
func (s *Server) handleUpdateApp() http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		vars := mux.Vars(r)
		var req updateAppRequest
		if err := s.decodeBody(r, "updateApp", &req); err != nil {
			return err
		}
		unlock, err := s.lockApp(r.Context(), vars["project_id"], vars["app"])
		if err != nil {
			return err
		}
		defer unlock()
		old, err := s.store.GetApp(r.Context(), vars["project_id"], vars["app"])
		if err != nil {
			return err
		}
		app := *old
		if req.Description != nil {
			app.Description = *req.Description
		}
		app.Config = mergeConfig(old.Config, req.Config)
		if err := app.Validate(); err != nil {
			return err
		}
		if err := s.checkConfig(app.Config); err != nil {
			return err
		}
		if err := s.backendOp("update_app", func() error { return s.backend.UpdateApp(r.Context(), &app) }); err != nil {
			return err
		}
		if err := s.store.UpdateApp(r.Context(), &app); err != nil {
			undo := context.WithoutCancel(r.Context())
			s.undo(r, "restore backend app", s.backendOp("update_app", func() error { return s.backend.UpdateApp(undo, old) }))
			return err
		}
		s.routes.forget(app.BackendName, "")
		writeJSON(w, http.StatusOK, appResponse{App: newAppView(&app), Message: "App successfully updated"})
		return nil
	})
}

// handleDeleteApp removes the row first (the store refuses while routes
// exist), then the backend app; a backend failure restores the row.
func (s *Server) handleDeleteApp() http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		vars := mux.Vars(r)
		unlock, err := s.lockApp(r.Context(), vars["project_id"], vars["app"])
		if err != nil {
			return err
		}
		defer unlock()
		app, err := s.store.GetApp(r.Context(), vars["project_id"], vars["app"])
		if err != nil {
			return err
		}
		if err := s.store.DeleteApp(r.Context(), app.ID); err != nil {
			return err
		}
		err = s.backendOp("delete_app", func() error { return s.backend.DeleteApp(r.Context(), app) })
		if err != nil && !picasso.IsCode(err, picasso.ENOTFOUND) {
			s.undo(r, "restore app row", s.store.CreateApp(context.WithoutCancel(r.Context()), app))
			return err
		}
		s.routes.forget(app.BackendName, "")
		writeJSON(w, http.StatusOK, messageResponse{Message: "App successfully deleted"})
		return nil
	})
}

func mergeConfig(old, changes map[string]string) map[string]string {
	merged := make(map[string]string, len(old)+len(changes))
	maps.Copy(merged, old)
	for k, v := range changes {
		if v == "" {
			delete(merged, k)
		} else {
			merged[k] = v
		}
	}
	return merged
}
