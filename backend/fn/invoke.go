package fn

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/backend/driver"
)

// maxErrorBody caps what the driver reads of an error answer to tell Fn's
// own errors from a function's.
const maxErrorBody = 4 << 10

// Invoke runs the route through its HTTP trigger, synchronously whatever
// the route's type: Picasso's own queue runs async routes. The gateway's
// deadline on ctx bounds the whole call, reading the answer included;
// without one, the route's timeout plus Options.InvokeMargin applies.
func (c *Client) Invoke(ctx context.Context, call *picasso.Call) (*picasso.CallResult, error) {
	ctx, cancel := driver.InvokeContext(ctx, call.Route, c.opts.InvokeMargin)
	res, err := c.invoke(ctx, call)
	if err != nil || res.Body == http.NoBody {
		cancel()
		return res, err
	}
	res.Body = driver.CancelOnClose(res.Body, cancel)
	return res, nil
}

// invoke makes the call under ctx; the answer's body, if any, is still
// being read when it returns.
func (c *Client) invoke(ctx context.Context, call *picasso.Call) (*picasso.CallResult, error) {
	req, err := http.NewRequestWithContext(ctx, call.Method, c.urls.invoke(call.App.BackendName, call.Route.Path, call.RawQuery), call.Body)
	if err != nil {
		return nil, picasso.Wrap(picasso.EINTERNAL, err, "Internal error")
	}
	if n, err := strconv.ParseInt(call.Header.Get("Content-Length"), 10, 64); err == nil && n >= 0 {
		req.ContentLength = n
	}
	// Only the route decides how a call runs, never a caller.
	req.Header = driver.CallHeader(call.Header, call.RequestID, "Content-Length", "Fn-Invoke-Type")

	resp, err := driver.SendCall(c.http, req)
	if err != nil {
		return nil, driver.TransportError(ctx, err, driver.MsgFnTimeout)
	}
	if err := serviceError(req, resp); err != nil {
		return nil, err
	}
	// Fn does not keep route headers; like IronFunctions, the driver adds
	// the first value of each to the function's answer.
	for name, values := range call.Route.Headers {
		if len(values) > 0 {
			resp.Header.Set(name, values[0])
		}
	}
	return &picasso.CallResult{Status: resp.StatusCode, Header: resp.Header, Body: resp.Body}, nil
}

// serviceError returns the error Fn itself reported, closing the body,
// or nil for an answer of the function, whatever its status. Fn's service
// statuses (502, 504, 503, 429, 413) always come from Fn; a 404 comes
// from Fn only when the trigger or app is missing, which is drift between
// Picasso's store and the backend rather than the caller's fault.
func serviceError(req *http.Request, resp *http.Response) error {
	switch resp.StatusCode {
	case http.StatusBadGateway, http.StatusGatewayTimeout, http.StatusServiceUnavailable,
		http.StatusTooManyRequests, http.StatusRequestEntityTooLarge:
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		resp.Body.Close()
		return statusError(newAPIError(req.Method, req.URL, resp.StatusCode, body))
	case http.StatusNotFound:
		head, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		var flat struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(head, &flat) == nil && (flat.Message == "App not found" || flat.Message == "Trigger not found") {
			resp.Body.Close()
			return driver.RouteMissing(newAPIError(req.Method, req.URL, resp.StatusCode, head))
		}
		resp.Body = readCloser{io.MultiReader(bytes.NewReader(head), resp.Body), resp.Body}
	}
	return nil
}

// readCloser reads from one reader and closes another.
type readCloser struct {
	io.Reader
	io.Closer
}
