package execution

import (
	"context"
	"math"

	"github.com/picasso-faas/picasso"
)

// Defaults of EnqueuerConfig.
const (
	DefaultMaxPayloadBytes = 256 << 10
	DefaultMaxAttempts     = 3
	maxIdempotencyKey      = 255
)

// EnqueuerConfig bounds what the queue accepts.
type EnqueuerConfig struct {
	// MaxPayloadBytes bounds a call's request body (ETOOLARGE beyond).
	MaxPayloadBytes int
	// MaxAttempts is the attempts of a call whose route does not say.
	MaxAttempts int
	// Limits gives each project's function_queued limit: the calls it may
	// have waiting (ETOOMANY beyond). Nil means no cap.
	Limits picasso.Limits
}

func (c *EnqueuerConfig) setDefaults() {
	if c.MaxPayloadBytes <= 0 {
		c.MaxPayloadBytes = DefaultMaxPayloadBytes
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
}

// Enqueuer is the picasso.CallQueue of Picasso: it checks a call, fills in
// what its route says, and commits it.
type Enqueuer struct {
	cfg    EnqueuerConfig
	calls  picasso.CallStore
	routes picasso.Store
	// enqueued is signalled after every new call, to wake this replica's
	// worker without waiting for its next poll.
	enqueued func()
}

var _ picasso.CallQueue = (*Enqueuer)(nil)

// NewEnqueuer returns an Enqueuer over calls; routes is read for calls
// whose Timeout the caller did not fill in. wake (optional) is called
// after every new call.
func NewEnqueuer(cfg EnqueuerConfig, calls picasso.CallStore, routes picasso.Store, wake func()) *Enqueuer {
	cfg.setDefaults()
	if wake == nil {
		wake = func() {}
	}
	return &Enqueuer{cfg: cfg, calls: calls, routes: routes, enqueued: wake}
}

// MaxPayloadBytes is the largest request body a call may carry.
func (e *Enqueuer) MaxPayloadBytes() int { return e.cfg.MaxPayloadBytes }

// Enqueue commits rec; see picasso.CallQueue. A caller that holds the
// route sets rec.Timeout (and, if it wants, MaxAttempts and CallbackURL)
// from it; otherwise Enqueue reads the route (ENOTFOUND when it is gone).
func (e *Enqueuer) Enqueue(ctx context.Context, rec *picasso.CallRecord) (*picasso.CallRecord, bool, error) {
	if len(rec.Request.Body) > e.cfg.MaxPayloadBytes {
		return nil, false, picasso.Errorf(picasso.ETOOLARGE, "Async request body must be %d bytes or less", e.cfg.MaxPayloadBytes)
	}
	if len(rec.IdempotencyKey) > maxIdempotencyKey {
		return nil, false, picasso.Errorf(picasso.EINVALID, "Idempotency-Key must be %d characters or less", maxIdempotencyKey)
	}
	if rec.CallbackURL != "" {
		if err := picasso.ValidateCallbackURL(rec.CallbackURL); err != nil {
			return nil, false, err
		}
	}
	c := *rec
	if c.Timeout <= 0 {
		route, err := e.routes.GetRoute(ctx, c.AppID, c.RoutePath)
		if err != nil {
			return nil, false, err
		}
		FromRoute(&c, route)
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = e.cfg.MaxAttempts
	}
	c.Request.Header = c.Request.Header.Clone()
	c.Request.Header.Del("X-Auth-Token") // never stored, whatever the route forwards
	maxWaiting, err := e.maxWaiting(ctx, c.ProjectID)
	if err != nil {
		return nil, false, err
	}
	call, created, err := e.calls.InsertCall(ctx, &c, maxWaiting)
	if err == nil && created {
		e.enqueued()
	}
	return call, created, err
}

// FromRoute fills the fields of rec that come from its route and that the
// caller left empty.
func FromRoute(rec *picasso.CallRecord, route *picasso.Route) {
	rec.Timeout = route.TimeoutDuration()
	if rec.MaxAttempts <= 0 {
		rec.MaxAttempts = route.MaxAttempts
	}
	if rec.CallbackURL == "" {
		rec.CallbackURL = route.CallbackURL
	}
}

// maxWaiting is the project's function_queued limit in InsertCall's terms
// (0: no cap); a limit of 0 refuses every call at once.
func (e *Enqueuer) maxWaiting(ctx context.Context, projectID string) (int, error) {
	if e.cfg.Limits == nil {
		return 0, nil
	}
	limit, err := e.cfg.Limits.Limit(ctx, projectID, picasso.ResourceQueued)
	switch {
	case err != nil:
		return 0, err
	case limit == picasso.Unlimited:
		return 0, nil
	case limit == 0:
		return 0, picasso.Errorf(picasso.ETOOMANY, "Project may have no calls waiting; retry later")
	}
	return int(min(limit, math.MaxInt32)), nil
}
