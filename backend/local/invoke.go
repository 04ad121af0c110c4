package local

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/backend/driver"
)

// Invoke runs the call's route; see the package documentation for what
// the function receives and how failures map to errors.
func (rt *Runtime) Invoke(ctx context.Context, call *picasso.Call) (*picasso.CallResult, error) {
	if rt.registry.deletedRoute(call.App.BackendName, call.Route.Path) {
		return nil, driver.RouteMissing(nil)
	}
	file, err := rt.resolveImage(call.Route.Image)
	if err != nil {
		return nil, picasso.Wrap(picasso.EBADGATEWAY, err, "Function image %q is not available", call.Route.Image)
	}
	callID := uuid.NewString()
	requestID := call.RequestID
	if requestID == "" {
		requestID = callID
	}
	timeout := call.Route.TimeoutDuration()
	if timeout <= 0 {
		timeout = picasso.DefaultTimeout * time.Second
	}
	r := &run{
		file:      file,
		env:       rt.functionEnv(call, callID, requestID),
		stdin:     payload(call),
		memory:    call.Route.Memory,
		timeout:   timeout,
		key:       routeKey{app: call.App.BackendName, path: call.Route.Path},
		limit:     call.Route.MaxConcurrency,
		callID:    callID,
		requestID: requestID,
	}
	if call.Route.Type == picasso.RouteAsync {
		return rt.startAsync(r)
	}
	out, err := rt.execute(ctx, r)
	if err != nil {
		return nil, err
	}
	return &picasso.CallResult{
		Status: http.StatusOK,
		Header: routeHeaders(call.Route),
		Body:   io.NopCloser(bytes.NewReader(out)),
	}, nil
}

// payload is the function's stdin: the body, or for GET and HEAD the
// "payload" query parameter, as IronFunctions passes it.
func payload(call *picasso.Call) io.Reader {
	if call.Method == http.MethodGet || call.Method == http.MethodHead {
		query, _ := url.ParseQuery(call.RawQuery) // keeps what parses
		return strings.NewReader(query.Get("payload"))
	}
	return call.Body
}

// startAsync reads the payload, since the caller's request ends before
// the run, and starts the run in the background, detached from the
// request but not from Close.
func (rt *Runtime) startAsync(r *run) (*picasso.CallResult, error) {
	if r.stdin != nil {
		body, err := io.ReadAll(io.LimitReader(r.stdin, rt.maxPayload+1))
		if err != nil {
			return nil, bodyError(err)
		}
		if int64(len(body)) > rt.maxPayload {
			return nil, picasso.Errorf(picasso.ETOOLARGE, "Payload too large: the limit is %d bytes", rt.maxPayload)
		}
		r.stdin = bytes.NewReader(body)
	}

	rt.asyncMu.Lock()
	switch {
	case rt.closed:
		rt.asyncMu.Unlock()
		return nil, picasso.Errorf(picasso.EUNAVAILABLE, "Runtime is shutting down")
	case rt.asyncCount >= rt.maxAsync:
		rt.asyncMu.Unlock()
		return nil, picasso.Errorf(picasso.EUNAVAILABLE, "Too many background calls: the limit is %d", rt.maxAsync)
	}
	rt.asyncCount++
	rt.asyncRuns.Add(1)
	rt.asyncMu.Unlock()

	go func() {
		defer func() {
			rt.asyncMu.Lock()
			rt.asyncCount--
			rt.asyncMu.Unlock()
			rt.asyncRuns.Done()
		}()
		start := time.Now()
		out, err := rt.execute(rt.background, r)
		attrs := []any{"call_id", r.callID, "request_id", r.requestID, "app", r.key.app, "route", r.key.path, "duration", time.Since(start)}
		if err != nil {
			rt.log.Warn("async call failed", append(attrs, "error", err)...)
			return
		}
		rt.log.Info("async call finished", append(attrs, "output_bytes", len(out))...)
	}()
	return &picasso.CallResult{
		Status: http.StatusAccepted,
		Header: http.Header{},
		Body:   http.NoBody,
		CallID: r.callID,
	}, nil
}
