package driver

import (
	"context"
	"errors"
	"fmt"

	"github.com/picasso-faas/picasso"
)

// Client-safe messages of the failures all drivers share. The backend's
// URL and raw answers stay in the error's cause, for the logs.
const (
	MsgUnreachable  = "Backend unreachable"
	MsgTimeout      = "Backend timed out"
	MsgCanceled     = "Backend call canceled"
	MsgUnavailable  = "Backend unavailable"
	MsgInvalid      = "Backend returned an invalid response"
	MsgUnexpected   = "Backend returned an unexpected response"
	MsgRouteMissing = "Route is missing on the backend"
	MsgFnFailed     = "Function failed"
	MsgFnTimeout    = "Function timed out"
)

// TransportError classifies a failure to get or read an answer: the
// deadline is a timeout (timeoutMsg names what timed out: MsgTimeout for
// management calls, MsgFnTimeout for invocations), anything else (refused,
// reset, EOF) means the backend is unreachable. The cause stays in Err,
// so errors.Is still finds context.Canceled for callers that care why.
func TransportError(ctx context.Context, err error, timeoutMsg string) *picasso.Error {
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		return picasso.Wrap(picasso.ETIMEOUT, err, "%s", timeoutMsg)
	case errors.Is(err, context.Canceled) || ctx.Err() != nil:
		return picasso.Wrap(picasso.EBADGATEWAY, err, MsgCanceled)
	}
	return picasso.Wrap(picasso.EBADGATEWAY, err, MsgUnreachable)
}

// RouteMissing is the error of a call to a route the store has and the
// backend does not: drift between the two, not the caller's fault.
func RouteMissing(cause error) *picasso.Error {
	return picasso.Wrap(picasso.EBADGATEWAY, fmt.Errorf("%w: %w", picasso.ErrRouteMissing, cause), MsgRouteMissing)
}

// InvalidResponse is the error of an answer that cannot be decoded.
func InvalidResponse(cause error) *picasso.Error {
	return picasso.Wrap(picasso.EBADGATEWAY, cause, MsgInvalid)
}
