package ironfunctions

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/backend/driver"
)

// Invoke sends the call to /r/{backend app}{route path}, streaming the
// body both ways. The gateway's deadline on ctx (route timeout plus a
// margin) bounds the whole call, reading the result included; without
// one, the route's timeout plus Options.InvokeMargin applies, because
// IronFunctions itself can hang forever.
func (c *Client) Invoke(ctx context.Context, call *picasso.Call) (*picasso.CallResult, error) {
	u, err := c.urls.invoke(call.App.BackendName, call.Route.Path, call.RawQuery)
	if err != nil {
		return nil, err
	}
	ctx, cancel := driver.InvokeContext(ctx, call.Route, c.opts.InvokeMargin)
	res, body, err := c.invoke(ctx, u, call)
	if body == nil {
		cancel()
		return res, err
	}
	body.cancel = cancel
	return res, nil
}

// invoke returns the result and, for a streamed answer, its body, which
// then owns the call's context.
func (c *Client) invoke(ctx context.Context, u *url.URL, call *picasso.Call) (*picasso.CallResult, *resultBody, error) {
	req, err := newRequest(ctx, call.Method, u, call.Body)
	if err != nil {
		return nil, nil, err
	}
	req.Header = driver.CallHeader(call.Header, call.RequestID)
	if req.ContentLength == 0 && req.Body != nil && req.Body != http.NoBody {
		// Unknown reader: stream it chunked unless the caller said how
		// long it is.
		req.ContentLength = -1
		if n, err := strconv.ParseInt(req.Header.Get("Content-Length"), 10, 64); err == nil && n >= 0 {
			req.ContentLength = n
		}
	}
	resp, err := driver.SendCall(c.http, req)
	if err != nil {
		return nil, nil, driver.TransportError(ctx, err, driver.MsgFnTimeout)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		body := &resultBody{ctx: ctx, body: resp.Body}
		return &picasso.CallResult{Status: resp.StatusCode, Header: resp.Header, Body: body}, body, nil
	case http.StatusAccepted:
		defer resp.Body.Close()
		var out callIDResult
		if err := json.NewDecoder(io.LimitReader(resp.Body, maxErrorBody)).Decode(&out); err != nil {
			return nil, nil, driver.InvalidResponse(err)
		}
		if out.CallID == "" {
			return nil, nil, driver.InvalidResponse(errMissingObject)
		}
		return &picasso.CallResult{Status: http.StatusAccepted, Header: resp.Header, CallID: out.CallID}, nil, nil
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if err != nil {
		return nil, nil, driver.TransportError(ctx, err, driver.MsgFnTimeout)
	}
	return nil, nil, invokeError(resp.StatusCode, b)
}

// resultBody streams a function's answer and reports a failure while
// reading it as a picasso error (ETIMEOUT once the deadline passed).
type resultBody struct {
	ctx    context.Context
	body   io.ReadCloser
	cancel context.CancelFunc
}

func (b *resultBody) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	if err != nil && err != io.EOF {
		err = driver.TransportError(b.ctx, err, driver.MsgFnTimeout)
	}
	return n, err
}

func (b *resultBody) Close() error {
	err := b.body.Close()
	b.cancel()
	return err
}
