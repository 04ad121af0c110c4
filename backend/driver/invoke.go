package driver

import (
	"context"
	"io"
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
