package picasso

import "context"

// RequestIDHeader carries the request id between OpenStack services: the
// gateway adopts or makes one per request and passes it on to Keystone,
// the backends and the functions.
const RequestIDHeader = "X-Openstack-Request-Id"

type requestIDKey struct{}

// WithRequestID returns ctx carrying the OpenStack request id of the call
// being served, so that every dependency can pass it on (backends and
// Keystone in RequestIDHeader) and every log line can show it.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestIDFrom returns the request id carried by ctx, or "".
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
