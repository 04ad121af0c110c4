package keystone

import (
	"context"
	"encoding/hex"
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/gophercloud/gophercloud/v2"
	"golang.org/x/sync/singleflight"

	"github.com/picasso-faas/picasso"
)

// Validator validates user tokens with Keystone the way keystonemiddleware
// does and caches the answers; it implements picasso.Authenticator.
type Validator struct {
	opts      Options
	endpoint  string
	authOpts  gophercloud.AuthOptions
	transport *http.Transport
	log       *slog.Logger

	client atomic.Pointer[gophercloud.ServiceClient]
	login  singleflight.Group

	// valid is nil when the cache is off.
	valid    *ttlCache[*picasso.Identity]
	rejected *ttlCache[struct{}]
	flight   singleflight.Group
	// validating holds a slot per validation asking Keystone.
	validating chan struct{}

	counters counters
}

var _ picasso.Authenticator = (*Validator)(nil)

// Client-safe errors; their causes stay in the logs.
var (
	errMissingToken = picasso.Errorf(picasso.EUNAUTHENTICATED, "Missing X-Auth-Token")
	errInvalidToken = picasso.Errorf(picasso.EUNAUTHENTICATED, "Invalid or expired token")
)

const unavailableMessage = "Identity service unavailable"

var errTooManyValidations = picasso.Errorf(picasso.EUNAVAILABLE, "Too many token validations in progress; retry later")

// NewValidator checks the options and logs the service user in. A
// Keystone that is down now is not an error: the login is retried on
// the first request, which fails with EUNAVAILABLE until Keystone answers.
func NewValidator(ctx context.Context, opts Options) (*Validator, error) {
	opts = opts.withDefaults()
	endpoint, err := identityV3URL(opts.AuthURL)
	if err != nil {
		return nil, err
	}
	authOpts, err := opts.authOptions(endpoint)
	if err != nil {
		return nil, err
	}
	v := &Validator{
		opts:      opts,
		endpoint:  endpoint,
		authOpts:  authOpts,
		transport: http.DefaultTransport.(*http.Transport).Clone(),
		log:       opts.Logger,
		rejected:  newTTLCache[struct{}](opts.CacheSize),

		validating: make(chan struct{}, opts.MaxValidations),
	}
	if opts.CacheTTL > 0 {
		v.valid = newTTLCache[*picasso.Identity](opts.CacheSize)
	}
	if _, err := v.serviceClient(ctx); err != nil {
		v.log.Warn("keystone: starting without a service token; will log in on first use", "auth_url", opts.AuthURL)
	}
	return v, nil
}

// Close releases the idle connections to Keystone.
func (v *Validator) Close() { v.transport.CloseIdleConnections() }

// Authenticate returns the identity of token. The identity may be shared
// with other requests presenting the same token: callers must not modify it.
func (v *Validator) Authenticate(ctx context.Context, token string) (*picasso.Identity, error) {
	if token == "" {
		return nil, errMissingToken
	}
	if len(token) > MaxTokenSize {
		v.counters.invalid.Add(1)
		return nil, errInvalidToken
	}
	key := keyOf(token)
	now := v.opts.Now()
	if v.valid != nil {
		if id, ok := v.valid.get(key, now); ok {
			v.counters.cacheHits.Add(1)
			return id, nil
		}
		v.counters.cacheMisses.Add(1)
	}
	if _, ok := v.rejected.get(key, now); ok {
		v.counters.negativeHits.Add(1)
		v.counters.invalid.Add(1)
		return nil, errInvalidToken
	}
	return v.validateShared(ctx, token, key)
}

// validateShared validates the token once for all concurrent callers
// presenting it. The call runs detached from the first caller's
// cancellation, since the others waiting for it may still want the answer.
// (A separate function so that the closure's capture of key does not make
// the cache-hit path allocate.)
func (v *Validator) validateShared(ctx context.Context, token string, key tokenKey) (*picasso.Identity, error) {
	result := v.flight.DoChan(string(key[:]), func() (any, error) {
		return v.validate(context.WithoutCancel(ctx), token, key)
	})
	select {
	case r := <-result:
		if r.Err != nil {
			v.count(r.Err)
			return nil, r.Err
		}
		return r.Val.(*picasso.Identity), nil
	case <-ctx.Done():
		v.counters.unavailable.Add(1)
		return nil, picasso.Wrap(picasso.EUNAVAILABLE, ctx.Err(), unavailableMessage)
	}
}

func (v *Validator) count(err error) {
	if picasso.IsCode(err, picasso.EUNAUTHENTICATED) {
		v.counters.invalid.Add(1)
	} else {
		v.counters.unavailable.Add(1)
	}
}

// validate asks Keystone, within the bound on validations in flight, and
// records the answer in the caches.
func (v *Validator) validate(ctx context.Context, token string, key tokenKey) (*picasso.Identity, error) {
	select {
	case v.validating <- struct{}{}:
		defer func() { <-v.validating }()
	default:
		return nil, errTooManyValidations
	}
	id, err := v.fetch(ctx, token, key)
	now := v.opts.Now()
	if err == nil && !now.Before(id.ExpiresAt) {
		err = errInvalidToken
	}
	if err != nil {
		if err == errInvalidToken {
			v.rejected.put(key, struct{}{}, now.Add(NegativeCacheTTL), now)
		}
		return nil, err
	}
	if v.valid != nil {
		until := now.Add(v.opts.CacheTTL)
		if id.ExpiresAt.Before(until) {
			until = id.ExpiresAt
		}
		v.valid.put(key, id, until, now)
	}
	return id, nil
}

// fetch is one GET /v3/auth/tokens?nocatalog (not HEAD: Keystone's policy
// lets the "service" role validate but not check tokens).
func (v *Validator) fetch(ctx context.Context, token string, key tokenKey) (*picasso.Identity, error) {
	ctx, cancel := context.WithTimeout(ctx, v.opts.Timeout)
	defer cancel()
	client, err := v.serviceClient(ctx)
	if err != nil {
		return nil, picasso.Wrap(picasso.EUNAVAILABLE, err, unavailableMessage)
	}
	headers := map[string]string{"X-Subject-Token": token}
	if rid := picasso.RequestIDFrom(ctx); rid != "" {
		headers[picasso.RequestIDHeader] = rid
	}
	var body tokenBody
	v.counters.validations.Add(1)
	_, err = client.Get(ctx, client.ServiceURL("auth", "tokens")+"?nocatalog", &body, &gophercloud.RequestOpts{
		MoreHeaders: headers,
		OkCodes:     []int{200},
	})
	// Only a short prefix of the hash is logged: enough to correlate.
	tokenRef := hex.EncodeToString(key[:6])
	switch {
	case err == nil:
		return body.identity(), nil
	case gophercloud.ResponseCodeIs(err, http.StatusNotFound):
		v.log.Debug("keystone: token rejected", "token_sha256", tokenRef)
		return nil, errInvalidToken
	case gophercloud.ResponseCodeIs(err, http.StatusUnauthorized):
		v.log.Error("keystone: the service token is refused even after logging in again", "error", err)
	case gophercloud.ResponseCodeIs(err, http.StatusForbidden):
		v.log.Error("keystone: the service user may not validate tokens; it needs the service or admin role", "error", err)
	default:
		v.log.Warn("keystone: token validation failed", "token_sha256", tokenRef, "error", err)
	}
	return nil, picasso.Wrap(picasso.EUNAVAILABLE, err, unavailableMessage)
}
