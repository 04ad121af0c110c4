package gateway

import (
	"context"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/picasso-faas/picasso"
)

// routeFields are the settable fields of a route; nil means "not given".
type routeFields struct {
	Type           *string             `json:"type"`
	Image          *string             `json:"image"`
	IsPublic       *flexBool           `json:"is_public"`
	ForwardToken   *bool               `json:"forward_token"`
	Memory         *int                `json:"memory"`
	Timeout        *int                `json:"timeout"`
	MaxConcurrency *int                `json:"max_concurrency"`
	Format         *string             `json:"format"`
	Config         map[string]string   `json:"config"`
	Headers        map[string][]string `json:"headers"`
	CallbackURL    *string             `json:"callback_url"`
	RecordSync     *bool               `json:"record_sync"`
	MaxAttempts    *int                `json:"max_attempts"`
	Runtime        *string             `json:"runtime"`
	Handler        *string             `json:"handler"`
}

type createRouteRequest struct {
	Route struct {
		Path string `json:"path"`
		routeFields
	} `json:"route"`
}

type routeResponse struct {
	Route   routeView `json:"route"`
	Message string    `json:"message"`
}

type routesResponse struct {
	Routes     []routeView `json:"routes"`
	Message    string      `json:"message"`
	NextMarker string      `json:"next_marker,omitempty"`
}

// applyTo sets the given fields on rt. Config merges (a key set to ""
// is deleted), headers replace the route's headers as a whole.
func (f *routeFields) applyTo(rt *picasso.Route) {
	setIf(&rt.Type, f.Type)
	setIf(&rt.Image, f.Image)
	setIf(&rt.Memory, f.Memory)
	setIf(&rt.Timeout, f.Timeout)
	setIf(&rt.MaxConcurrency, f.MaxConcurrency)
	setIf(&rt.Format, f.Format)
	setIf(&rt.ForwardToken, f.ForwardToken)
	setIf(&rt.CallbackURL, f.CallbackURL)
	setIf(&rt.RecordSync, f.RecordSync)
	setIf(&rt.MaxAttempts, f.MaxAttempts)
	setIf(&rt.Runtime, f.Runtime)
	setIf(&rt.Handler, f.Handler)
	if f.IsPublic != nil {
		rt.IsPublic = bool(*f.IsPublic)
	}
	if f.Config != nil {
		rt.Config = mergeConfig(rt.Config, f.Config)
	}
	if f.Headers != nil {
		rt.Headers = f.Headers
	}
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// routePath is the route's path from the URL, with its leading slash.
func routePath(r *http.Request) string { return "/" + mux.Vars(r)["route"] }

func (s *Server) appOf(r *http.Request) (*picasso.App, error) {
	vars := mux.Vars(r)
	return s.store.GetApp(r.Context(), vars["project_id"], vars["app"])
}

// routeOf returns the app and route named by the URL.
func (s *Server) routeOf(r *http.Request) (*picasso.App, *picasso.Route, error) {
	app, err := s.appOf(r)
	if err != nil {
		return nil, nil, err
	}
	rt, err := s.store.GetRoute(r.Context(), app.ID, routePath(r))
	if err != nil {
		return nil, nil, err
	}
	return app, rt, nil
}

// lockedRouteOf locks the URL's app (see lockApp) and reads its route;
// the caller calls unlock once its writes and compensations are done.
func (s *Server) lockedRouteOf(r *http.Request) (app *picasso.App, rt *picasso.Route, unlock func(), err error) {
	vars := mux.Vars(r)
	unlock, err = s.lockApp(r.Context(), vars["project_id"], vars["app"])
	if err != nil {
		return nil, nil, nil, err
	}
	if app, rt, err = s.routeOf(r); err != nil {
		unlock()
		return nil, nil, nil, err
	}
	return app, rt, unlock, nil
}

func (s *Server) handleListRoutes() http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		page, err := pageOf(r)
		if err != nil {
			return err
		}
		app, err := s.appOf(r)
		if err != nil {
			return err
		}
		routes, err := s.store.ListRoutes(r.Context(), app.ID, page)
		if err != nil {
			return err
		}
		resp := routesResponse{
			Routes:  viewsOf(routes, func(rt *picasso.Route) routeView { return s.newRouteView(r, app, rt) }),
			Message: "Successfully loaded app routes",
		}
		if len(routes) > 0 {
			resp.NextMarker = nextMarker(page, len(routes), routes[len(routes)-1].Path)
		}
		writeJSON(w, http.StatusOK, resp)
		return nil
	})
}

// handleCreateRoute writes the store first, then the backend; a backend
// failure removes the row again.
func (s *Server) handleCreateRoute() http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		var req createRouteRequest
		if err := s.decodeBody(r, "createRoute", &req); err != nil {
			return err
		}
		app, err := s.appOf(r)
		if err != nil {
			return err
		}
		rt := &picasso.Route{AppID: app.ID, Path: req.Route.Path}
		req.Route.applyTo(rt)
		rt.ApplyDefaults()
		if err := rt.Validate(); err != nil {
			return err
		}
		if err := s.checkRuntime(rt); err != nil {
			return err
		}
		if err := s.checkConfig(rt.Config); err != nil {
			return err
		}
		unlock, err := s.lockApp(r.Context(), app.ProjectID, app.Name)
		if err != nil {
			return err
		}
		defer unlock()
		limit, err := s.limitOf(r.Context(), app.ProjectID, picasso.ResourceRoutes)
		if err != nil {
			return err
		}
		if err := s.store.CreateRouteWithin(r.Context(), app.ProjectID, rt, limit); err != nil {
			return err
		}
		if err := s.createBackendRoute(r.Context(), app, rt); err != nil {
			s.undo(r, "delete route row", s.store.DeleteRoute(context.WithoutCancel(r.Context()), app.ID, rt.Path))
			return err
		}
		s.routes.forget(app.BackendName, rt.Path)
		writeJSON(w, http.StatusOK, routeResponse{Route: s.newRouteView(r, app, rt), Message: "App route successfully created"})
		return nil
	})
}

// createBackendRoute adopts a route the backend already has under this
// app: only this app's earlier, failed attempt can have left it there.
func (s *Server) createBackendRoute(ctx context.Context, app *picasso.App, rt *picasso.Route) error {
	err := s.backendOp("create_route", func() error { return s.backend.CreateRoute(ctx, app, rt) })
	if picasso.IsCode(err, picasso.ECONFLICT) {
		return s.backendOp("update_route", func() error { return s.backend.UpdateRoute(ctx, app, rt) })
	}
	return err
}

func (s *Server) handleGetRoute() http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		app, rt, err := s.routeOf(r)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, routeResponse{Route: s.newRouteView(r, app, rt), Message: "App route successfully loaded"})
		return nil
	})
}

// handleUpdateRoute writes the backend first, like handleUpdateApp.
func (s *Server) handleUpdateRoute() http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		var req routeFields
		if err := s.decodeBody(r, "updateRoute", &req); err != nil {
			return err
		}
		app, old, unlock, err := s.lockedRouteOf(r)
		if err != nil {
			return err
		}
		defer unlock()
		rt := *old
		req.applyTo(&rt)
		if err := rt.Validate(); err != nil {
			return err
		}
		if err := s.checkRuntime(&rt); err != nil {
			return err
		}
		if err := s.checkConfig(rt.Config); err != nil {
			return err
		}
		if err := s.backendOp("update_route", func() error { return s.backend.UpdateRoute(r.Context(), app, &rt) }); err != nil {
			return err
		}
		if err := s.store.UpdateRoute(r.Context(), &rt); err != nil {
			undo := context.WithoutCancel(r.Context())
			s.undo(r, "restore backend route", s.backendOp("update_route", func() error { return s.backend.UpdateRoute(undo, app, old) }))
			return err
		}
		s.routes.forget(app.BackendName, rt.Path)
		writeJSON(w, http.StatusOK, routeResponse{Route: s.newRouteView(r, app, &rt), Message: "Route successfully updated"})
		return nil
	})
}

// handleDeleteRoute deletes exactly one route: the row, then the backend
// route; a backend failure restores the row.
func (s *Server) handleDeleteRoute() http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		app, rt, unlock, err := s.lockedRouteOf(r)
		if err != nil {
			return err
		}
		defer unlock()
		// The backend goes first: deleting the row first cascades to the
		// route's webhooks, which no compensation can bring back (their
		// tokens are stored only hashed), so a failed backend delete must
		// find the row untouched. A route already gone from the backend
		// is no reason to keep the row. A store that does not answer now
		// will not take the row delete either: leave the backend alone.
		if err := s.store.Ping(r.Context()); err != nil {
			return err
		}
		err = s.backendOp("delete_route", func() error { return s.backend.DeleteRoute(r.Context(), app, rt.Path) })
		if err != nil && !picasso.IsCode(err, picasso.ENOTFOUND) {
			return err
		}
		if err := s.store.DeleteRoute(r.Context(), app.ID, rt.Path); err != nil {
			s.undo(r, "recreate route on backend", s.backend.CreateRoute(context.WithoutCancel(r.Context()), app, rt))
			return err
		}
		s.routes.forget(app.BackendName, rt.Path)
		writeJSON(w, http.StatusOK, messageResponse{Message: "Route successfully deleted"})
		return nil
	})
}
