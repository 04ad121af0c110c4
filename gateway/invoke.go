package gateway

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"

	"github.com/picasso-faas/picasso"
)

// errRouteNotFound is the one answer for every route a caller may not run
// through a URL: unknown, private on the public form, or malformed. Being
// identical, it reveals nothing about private routes.
var errRouteNotFound = picasso.Errorf(picasso.ENOTFOUND, "Route not found")

// handleInvoke serves /r/{first}/{rest}. A first segment shaped like a
// project id (hex digits and dashes) selects the private form
// /r/{project_id}/{app}/{route}; anything else is the public form
// /r/{backend_name}/{route}. Backend names start with "pf" and "p" is not a
// hex digit, so the two forms can never be confused.
func (s *Server) handleInvoke() http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		first, rest, ok := invokePath(r.URL.Path)
		if !ok {
			return errRouteNotFound
		}
		if !picasso.IsProjectID(first) {
			return s.invokePublic(w, r, first, "/"+rest)
		}
		appName, path, ok := strings.Cut(rest, "/")
		if !ok {
			return errRouteNotFound
		}
		return s.invokePrivate(w, r, first, appName, "/"+path, false)
	})
}

// handleInvokeV1 serves python-picassoclient's /v1/r/{project_id}/{app}/{route}
// and answers in its envelope.
func (s *Server) handleInvokeV1() http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		vars := mux.Vars(r)
		return s.invokePrivate(w, r, vars["project_id"], vars["app"], "/"+vars["route"], true)
	})
}

func (s *Server) invokePublic(w http.ResponseWriter, r *http.Request, backendName, path string) error {
	if !picasso.IsBackendName(backendName) || picasso.ValidateRoutePath(path) != nil {
		return errRouteNotFound
	}
	entry, err := s.routes.publicRoute(r.Context(), backendName, path)
	if err != nil {
		return err
	}
	if entry.route == nil || !entry.route.IsPublic {
		return errRouteNotFound
	}
	return s.call(w, r, entry, nil, false)
}

// invokePrivate authorizes before it looks the route up, so that a caller
// of another project learns nothing about this project's routes.
func (s *Server) invokePrivate(w http.ResponseWriter, r *http.Request, projectID, appName, path string, envelope bool) error {
	setAccessProject(r.Context(), projectID)
	id, err := s.authorize(r, projectID, picasso.ActionInvoke)
	if err != nil {
		return err
	}
	if picasso.ValidateAppName(appName) != nil || picasso.ValidateRoutePath(path) != nil {
		return errRouteNotFound
	}
	entry, err := s.routes.privateRoute(r.Context(), projectID, appName, path)
	if err != nil {
		return err
	}
	if entry.route == nil {
		return errRouteNotFound
	}
	return s.call(w, r, entry, id, envelope)
}

var errTooManyCalls = picasso.Errorf(picasso.EUNAVAILABLE, "Too many concurrent function calls; retry later")

// call forwards the request to the backend and streams the answer back.
// Picasso enforces the route's timeout plus a margin itself, because a
// backend may never answer.
func (s *Server) call(w http.ResponseWriter, r *http.Request, entry resolvedRoute, id *picasso.Identity, envelope bool) error {
	start := time.Now()
	var err error
	switch {
	case entry.route.Type == picasso.RouteAsync:
		err = s.enqueue(w, r, entry, id)
	case entry.route.RecordSync && s.records != nil:
		err = s.forwardRecorded(w, r, entry, id, envelope)
	default:
		err = s.forward(w, r, entry, id, envelope)
	}
	s.metrics.observeCall(err, time.Since(start))
	return err
}

// forward returns an error only while nothing has been written yet.
func (s *Server) forward(w http.ResponseWriter, r *http.Request, entry resolvedRoute, id *picasso.Identity, envelope bool) error {
	// The project's own limits come before the replica's cap, so that a
	// project at its limit is refused before it can take everyone's slots.
	release, err := s.admit(r.Context(), entry.app.ProjectID)
	if err != nil {
		return err
	}
	defer release()
	select {
	case s.inflight <- struct{}{}:
		defer func() { <-s.inflight }()
	default:
		return errTooManyCalls
	}
	if r.ContentLength > s.cfg.MaxBodyBytes {
		return s.errTooLarge()
	}
	deadline := time.Now().Add(entry.route.TimeoutDuration() + s.cfg.InvokeTimeoutMargin)
	ctx, cancel := context.WithDeadline(r.Context(), deadline)
	defer cancel()
	// The body, too, must arrive within the call's deadline (bodyguard.go).
	http.NewResponseController(w).SetReadDeadline(deadline)

	res, err := s.backend.Invoke(ctx, &picasso.Call{
		App:       entry.app,
		Route:     entry.route,
		Method:    r.Method,
		RawQuery:  cleanQuery(r.URL.RawQuery),
		Header:    forwardHeaders(r, id, entry.route),
		Body:      http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes),
		RequestID: picasso.RequestIDFrom(r.Context()),
	})
	if errors.Is(err, picasso.ErrRouteMissing) {
		return s.routeNotDeployed(r, entry, err)
	}
	if err != nil {
		return s.callError(ctx, err)
	}
	if res.Body != nil {
		defer res.Body.Close()
	}

	if res.Status == http.StatusAccepted && res.CallID != "" {
		writeJSON(w, http.StatusAccepted, map[string]string{"call_id": res.CallID})
		return nil
	}
	if res.Body == nil {
		res.Body = http.NoBody
	}
	if envelope {
		return s.writeEnvelope(ctx, w, res)
	}
	copyHeaders(w.Header(), res.Header)
	w.WriteHeader(res.Status)
	buf := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(buf)
	if _, err := io.CopyBuffer(w, res.Body, *buf); err != nil {
		// The status is already out: the only way left to tell the client
		// that the body is incomplete is to abort the connection.
		s.logger.WarnContext(r.Context(), "function response cut short", "error", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}

// callError names the real reason of a failed call: Picasso's own
// deadline, or a request body over the limit, whatever the backend saw.
func (s *Server) callError(ctx context.Context, err error) error {
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return s.errTooLarge()
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return picasso.Wrap(picasso.ETIMEOUT, err, "Function timed out")
	}
	return err
}

// routeNotDeployed answers a call to a route the store has and the backend
// lacks. With several replicas that is mostly a race with a create (the
// store is written first) or a delete of the route elsewhere, so the
// caller gets the 404 it gets just before or after, and the entry is
// dropped from the cache. Lasting drift is logged for reconcile.
func (s *Server) routeNotDeployed(r *http.Request, entry resolvedRoute, err error) error {
	s.routes.forget(entry.app.BackendName, entry.route.Path)
	s.logger.WarnContext(r.Context(), "route missing on the backend: being created or deleted, or drift for picasso-api reconcile",
		"app", entry.app.BackendName, "route", entry.route.Path, "error", err,
		"request_id", picasso.RequestIDFrom(r.Context()))
	return picasso.Errorf(picasso.ENOTFOUND, "Route %s is not deployed on the backend: it is being created or deleted", entry.route.Path)
}

func (s *Server) errTooLarge() error {
	return picasso.Errorf(picasso.ETOOLARGE, "Request body must be %d bytes or less", s.cfg.MaxBodyBytes)
}

var copyBuffers = sync.Pool{New: func() any {
	b := make([]byte, 32<<10)
	return &b
}}
