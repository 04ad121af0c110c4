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
	callID := call.Header.Get(picasso.HeaderCallID) // a queued call keeps its id
	if callID == "" {
		callID = uuid.NewString()
	}
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
		log:       call.Log,
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
