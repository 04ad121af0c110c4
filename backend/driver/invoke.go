package driver

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/picasso-faas/picasso"
)

// InvokeContext bounds a call made without a deadline by the route's
// timeout plus margin, because a FaaS server can hang forever; a call
// with a deadline (the gateway always sets one) keeps it. The cancel
// function must run once the answer's body is closed.
func InvokeContext(ctx context.Context, route *picasso.Route, margin time.Duration) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, route.TimeoutDuration()+margin)
}

// CancelOnClose returns body, which cancels the call's context when it is
// closed.
func CancelOnClose(body io.ReadCloser, cancel context.CancelFunc) io.ReadCloser {
	return &cancelingBody{ReadCloser: body, cancel: cancel}
}

type cancelingBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelingBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// CallHeader is the header to send for a call: the caller's header with
// the request id set and the drop headers removed. It is a copy only when
// that changes something, since the caller's map is not the driver's to
// modify and the gateway's header already carries the request id.
func CallHeader(header http.Header, requestID string, drop ...string) http.Header {
	if header == nil {
		header = http.Header{}
	}
	same := requestID == "" || header.Get(picasso.RequestIDHeader) == requestID
	for _, name := range drop {
		if _, ok := header[name]; ok {
			same = false
		}
	}
	if same {
		return header
	}
	header = header.Clone()
	for _, name := range drop {
		header.Del(name)
	}
	if requestID != "" {
		header.Set(picasso.RequestIDHeader, requestID)
	}
	return header
}

// SendCall sends a function call with client, a client of
// NewHTTPClient: straight to its transport, since such a client follows
// no redirect, keeps no cookies and has no timeout of its own (the call's
// context has the deadline), so Client.Do would only add its per-call
// bookkeeping, a tenth of the hop's CPU in a profile. A failure is the
// *url.Error Client.Do returns, naming the method and the URL with any
// password redacted.
func SendCall(client *http.Client, req *http.Request) (*http.Response, error) {
	resp, err := client.Transport.RoundTrip(req)
	if err != nil {
		return nil, &url.Error{Op: urlErrorOp(req.Method), URL: req.URL.Redacted(), Err: err}
	}
	return resp, nil
}

// urlErrorOp is the Op of Client.Do's errors: "Post" for POST.
func urlErrorOp(method string) string {
	if method == "" {
		return "Get"
	}
	return method[:1] + strings.ToLower(method[1:])
}
