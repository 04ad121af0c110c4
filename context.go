package picasso

import "context"

type requestIDKey struct{}

// WithRequestID returns ctx carrying the OpenStack request id of the call
// being served, so that every dependency can pass it on (backends and
// Keystone as X-Openstack-Request-Id) and every log line can show it.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestIDFrom returns the request id carried by ctx, or "".
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
