package gateway

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/picasso-faas/picasso"
)

type triggerKey struct{}

// withTrigger marks r as coming through another entry point than a URL
// of the route (a webhook), for the call record.
func withTrigger(r *http.Request, trigger picasso.CallTrigger) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), triggerKey{}, trigger))
}

func triggerOf(r *http.Request) picasso.CallTrigger {
	if t, ok := r.Context().Value(triggerKey{}).(picasso.CallTrigger); ok {
		return t
	}
	return picasso.TriggerHTTP
}

// enqueue answers a call of an async route: the call is committed to the
// durable queue before the 202 goes out, so an acknowledged call is never
// lost. The stored request carries what the function would have got,
// minus the caller's token, which is never stored.
func (s *Server) enqueue(w http.ResponseWriter, r *http.Request, entry resolvedRoute, id *picasso.Identity) error {
	if s.calls == nil {
		return picasso.Errorf(picasso.EUNAVAILABLE, "Async calls are not available on this server")
	}
	limit := s.cfg.MaxAsyncBodyBytes
	if r.ContentLength > limit {
		return errAsyncTooLarge(limit)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return errAsyncTooLarge(limit)
	case err != nil:
		return picasso.Wrap(picasso.EINVALID, err, "Request body could not be read")
	}
	header := forwardHeaders(r, id, entry.route)
	for _, name := range []string{"X-Auth-Token", picasso.HeaderCallbackURL, picasso.HeaderIdempotency} {
		header.Del(name)
	}
	route := entry.route
	rec := &picasso.CallRecord{
		ProjectID:      entry.app.ProjectID,
		AppID:          entry.app.ID,
		AppName:        entry.app.Name,
		RoutePath:      route.Path,
		Trigger:        triggerOf(r),
		MaxAttempts:    route.MaxAttempts,
		Timeout:        route.TimeoutDuration(),
		IdempotencyKey: r.Header.Get(picasso.HeaderIdempotency),
		CallbackURL:    r.Header.Get(picasso.HeaderCallbackURL),
		RequestID:      picasso.RequestIDFrom(r.Context()),
		Request: picasso.CallRequest{
			Method:   r.Method,
			RawQuery: cleanQuery(r.URL.RawQuery),
			Header:   header,
			Body:     body,
		},
	}
	if rec.CallbackURL == "" {
		rec.CallbackURL = route.CallbackURL
	}
	call, _, err := s.calls.Enqueue(r.Context(), rec)
	if err != nil {
		return err
	}
	w.Header().Set("Location", callLocation(call))
	writeJSON(w, http.StatusAccepted, map[string]string{"call_id": call.ID})
	return nil
}

func callLocation(call *picasso.CallRecord) string {
	return "/v1/" + call.ProjectID + "/calls/" + call.ID
}

func errAsyncTooLarge(limit int64) error {
	return picasso.Errorf(picasso.ETOOLARGE, "Async request body must be %d bytes or less", limit)
}
