package keystone

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/limits"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/registeredlimits"
	"github.com/gophercloud/gophercloud/v2/openstack/identity/v3/services"
	"golang.org/x/sync/singleflight"

	"github.com/picasso-faas/picasso"
)

// Defaults of LimitOptions.
const (
	DefaultLimitsService  = "picasso"
	DefaultLimitsCacheTTL = 60 * time.Second
	// limitsRetryDelay is the longest a failed read of limits is not
	// tried again, so that a Keystone outage costs one timeout per
	// project and delay, not one per request.
	limitsRetryDelay = 5 * time.Second
	// maxLimitProjects bounds the projects whose limits are remembered.
	maxLimitProjects = 10000
)

// LimitOptions configure a LimitReader.
type LimitOptions struct {
	// Service is the name in the catalog of the service the limits are
	// registered under (default DefaultLimitsService).
	Service string
	// Region selects the limits of one region; limits without a region
	// apply where the region has none of its own. Empty: only limits
	// without a region.
	Region string
	// CacheTTL is how long limits read from Keystone are used before they
	// are read again (default DefaultLimitsCacheTTL).
	CacheTTL time.Duration
	// Defaults apply to every resource Keystone has no limit for, and to
	// all of them until Keystone first answers.
	Defaults map[picasso.Resource]int64
}

// LimitReader reads Keystone's unified limits (the flat model: a
// registered limit per resource is the default, a project limit overrides
// it) and implements picasso.Limits.
//
// It logs in as the service user with a system-scoped token: Keystone
// answers a project-scoped token's question about another project's
// limits with an empty list, which would look like "no override". The
// user therefore needs the reader role on the system scope.
//
// Limits are cached for CacheTTL. Once they expire the old values keep
// being used while one background read refreshes them; when Keystone is
// unreachable the last known values stay in use, and before it ever
// answered the configured defaults do.
type LimitReader struct {
	opts      Options
	lopts     LimitOptions
	endpoint  string
	authOpts  gophercloud.AuthOptions
	transport *http.Transport
	log       *slog.Logger

	client atomic.Pointer[gophercloud.ServiceClient]
	flight singleflight.Group

	mu         sync.Mutex
	serviceID  string
	registered limitEntry
	projects   map[string]*limitEntry
}

var _ picasso.Limits = (*LimitReader)(nil)

// limitEntry is one cached answer of Keystone: resource → limit.
type limitEntry struct {
	values  map[picasso.Resource]int64
	known   bool      // values came from Keystone at least once
	expires time.Time // read again from then on
	reading bool      // a refresh is running
}

// NewLimitReader checks the options. It does not contact Keystone: the
// first Limit does, and a Keystone that is down is not an error.
func NewLimitReader(opts Options, lopts LimitOptions) (*LimitReader, error) {
	opts = opts.withDefaults()
	endpoint, err := identityV3URL(opts.AuthURL)
	if err != nil {
		return nil, err
	}
	authOpts, err := opts.authOptions(endpoint)
	if err != nil {
		return nil, err
	}
	if authOpts.Scope != nil {
		// Password logins take the system scope; an application credential
		// carries the scope it was created with.
		authOpts.Scope = &gophercloud.AuthScope{System: true}
	}
	if lopts.Service == "" {
		lopts.Service = DefaultLimitsService
	}
	if lopts.CacheTTL <= 0 {
		lopts.CacheTTL = DefaultLimitsCacheTTL
	}
	return &LimitReader{
		opts:      opts,
		lopts:     lopts,
		endpoint:  endpoint,
		authOpts:  authOpts,
		transport: http.DefaultTransport.(*http.Transport).Clone(),
		log:       opts.Logger,
		projects:  map[string]*limitEntry{},
	}, nil
}

// Close releases the idle connections to Keystone.
func (l *LimitReader) Close() { l.transport.CloseIdleConnections() }

// Limit returns the project's limit for resource: the project limit, else
// the registered limit, else the configured default, else Unlimited. It
// never fails: without Keystone it answers from what it last knew.
func (l *LimitReader) Limit(ctx context.Context, projectID string, resource picasso.Resource) (int64, error) {
	// Both are read even when the project has its own limit, so that the
	// registered limits are known should Keystone go away.
	registered, project := l.registeredLimits(ctx), l.projectLimits(ctx, projectID)
	if v, ok := project[resource]; ok {
		return v, nil
	}
	if v, ok := registered[resource]; ok {
		return v, nil
	}
	if v, ok := l.lopts.Defaults[resource]; ok {
		return v, nil
	}
	return picasso.Unlimited, nil
}

func (l *LimitReader) registeredLimits(ctx context.Context) map[picasso.Resource]int64 {
	if values, ok := l.fresh(func() *limitEntry { return &l.registered }); ok {
		return values
	}
	return l.cached(ctx, "registered", func() *limitEntry { return &l.registered }, l.readRegistered)
}

func (l *LimitReader) projectLimits(ctx context.Context, projectID string) map[picasso.Resource]int64 {
	if values, ok := l.fresh(func() *limitEntry { return l.projects[projectID] }); ok {
		return values
	}
	entry := func() *limitEntry {
		e, ok := l.projects[projectID]
		if !ok {
			l.evictProjects()
			e = &limitEntry{}
			l.projects[projectID] = e
		}
		return e
	}
	return l.cached(ctx, "project:"+projectID, entry, func(ctx context.Context) (map[picasso.Resource]int64, error) {
		return l.readProject(ctx, projectID)
	})
}

// fresh is the fast path of every call: the entry's values while they
// are fresh. entry may return nil. (The closures do not escape, so the
// path does not allocate.)
func (l *LimitReader) fresh(entry func() *limitEntry) (map[picasso.Resource]int64, bool) {
	now := l.opts.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if e := entry(); e != nil && now.Before(e.expires) {
		return e.values, true
	}
	return nil, false
}

// cached answers from the entry while it is fresh. An entry that was
// never read is read now, once for all concurrent callers; a stale one
// is answered as is while a background read refreshes it.
func (l *LimitReader) cached(ctx context.Context, key string, entry func() *limitEntry,
	read func(context.Context) (map[picasso.Resource]int64, error)) map[picasso.Resource]int64 {
	now := l.opts.Now()
	l.mu.Lock()
	e := entry()
	values, fresh, known := e.values, now.Before(e.expires), e.known
	startRefresh := !fresh && known && !e.reading
	if startRefresh {
		e.reading = true
	}
	l.mu.Unlock()
	switch {
	case fresh:
		return values
	case startRefresh:
		go l.refresh(context.WithoutCancel(ctx), key, entry, read)
		return values
	case known:
		return values // a refresh is running
	}
	result := l.flight.DoChan(key, func() (any, error) {
		l.refresh(context.WithoutCancel(ctx), key, entry, read)
		return nil, nil
	})
	select {
	case <-result:
	case <-ctx.Done():
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return entry().values
}

// refresh reads the entry from Keystone. A failure keeps what the entry
// had and retries after limitsRetryDelay at the latest.
func (l *LimitReader) refresh(ctx context.Context, key string, entry func() *limitEntry,
	read func(context.Context) (map[picasso.Resource]int64, error)) {
	ctx, cancel := context.WithTimeout(ctx, l.opts.Timeout)
	defer cancel()
	values, err := read(ctx)
	now := l.opts.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	e := entry()
	e.reading = false
	if err != nil {
		e.expires = now.Add(min(l.lopts.CacheTTL, limitsRetryDelay))
		l.log.Warn("keystone: cannot read unified limits; using the last known or configured ones",
			"what", key, "error", err)
		return
	}
	e.values, e.known, e.expires = values, true, now.Add(l.lopts.CacheTTL)
}

// evictProjects keeps the project cache bounded: expired entries go
// first, arbitrary ones if that is not enough. Called with l.mu held.
func (l *LimitReader) evictProjects() {
	if len(l.projects) < maxLimitProjects {
		return
	}
	now := l.opts.Now()
	for id, e := range l.projects {
		if !e.reading && !now.Before(e.expires) {
			delete(l.projects, id)
		}
	}
	for id := range l.projects {
		if len(l.projects) < maxLimitProjects {
			break
		}
		delete(l.projects, id)
	}
}

func (l *LimitReader) readRegistered(ctx context.Context) (map[picasso.Resource]int64, error) {
	client, serviceID, err := l.connect(ctx)
	if err != nil {
		return nil, err
	}
	pages, err := registeredlimits.List(client, registeredlimits.ListOpts{ServiceID: serviceID}).AllPages(ctx)
	if err != nil {
		return nil, err
	}
	found, err := registeredlimits.ExtractRegisteredLimits(pages)
	if err != nil {
		return nil, err
	}
	values := regional{region: l.lopts.Region}
	for _, r := range found {
		values.add(r.RegionID, r.ResourceName, r.DefaultLimit)
	}
	return values.byResource(), nil
}

func (l *LimitReader) readProject(ctx context.Context, projectID string) (map[picasso.Resource]int64, error) {
	client, serviceID, err := l.connect(ctx)
	if err != nil {
		return nil, err
	}
	pages, err := limits.List(client, limits.ListOpts{ServiceID: serviceID, ProjectID: projectID}).AllPages(ctx)
	if err != nil {
		return nil, err
	}
	found, err := limits.ExtractLimits(pages)
	if err != nil {
		return nil, err
	}
	values := regional{region: l.lopts.Region}
	for _, r := range found {
		if r.ProjectID == projectID {
			values.add(r.RegionID, r.ResourceName, r.ResourceLimit)
		}
	}
	return values.byResource(), nil
}

// regional collects limits of one resource that may exist with and
// without a region: the configured region's own wins.
type regional struct {
	region   string
	global   map[picasso.Resource]int64
	ofRegion map[picasso.Resource]int64
}

func (r *regional) add(region, resource string, limit int) {
	switch region {
	case "":
		if r.global == nil {
			r.global = map[picasso.Resource]int64{}
		}
		r.global[picasso.Resource(resource)] = int64(limit)
	case r.region:
		if r.ofRegion == nil {
			r.ofRegion = map[picasso.Resource]int64{}
		}
		r.ofRegion[picasso.Resource(resource)] = int64(limit)
	}
}

func (r *regional) byResource() map[picasso.Resource]int64 {
	values := map[picasso.Resource]int64{}
	for k, v := range r.global {
		values[k] = v
	}
	for k, v := range r.ofRegion {
		values[k] = v
	}
	return values
}

// connect returns the system-scoped client and the id of the service the
// limits are registered under, logging in and looking it up on first use.
func (l *LimitReader) connect(ctx context.Context) (*gophercloud.ServiceClient, string, error) {
	client, err := l.systemClient(ctx)
	if err != nil {
		return nil, "", err
	}
	l.mu.Lock()
	serviceID := l.serviceID
	l.mu.Unlock()
	if serviceID != "" {
		return client, serviceID, nil
	}
	id, err, _ := l.flight.Do("service", func() (any, error) { return l.lookUpService(ctx, client) })
	if err != nil {
		return nil, "", err
	}
	l.mu.Lock()
	l.serviceID = id.(string)
	l.mu.Unlock()
	return client, id.(string), nil
}

// lookUpService finds the service by name and warns when Keystone runs an
// enforcement model other than the flat one Picasso applies.
func (l *LimitReader) lookUpService(ctx context.Context, client *gophercloud.ServiceClient) (string, error) {
	pages, err := services.List(client, services.ListOpts{Name: l.lopts.Service}).AllPages(ctx)
	if err != nil {
		return "", err
	}
	found, err := services.ExtractServices(pages)
	if err != nil {
		return "", err
	}
	var ids []string
	for _, s := range found {
		if s.Name == l.lopts.Service {
			ids = append(ids, s.ID)
		}
	}
	if len(ids) != 1 {
		err := fmt.Errorf("keystone: %d services named %q in the catalog, want exactly one", len(ids), l.lopts.Service)
		l.log.Error("keystone: cannot find the service unified limits are registered under", "error", err)
		return "", err
	}
	if model, err := limits.GetEnforcementModel(ctx, client).Extract(); err == nil && model.Name != "flat" {
		l.log.Warn("keystone: Picasso applies unified limits with the flat model; project hierarchies are ignored",
			"keystone_model", model.Name)
	}
	return ids[0], nil
}

// systemClient logs the service user in with the system scope on first
// use; AllowReauth renews the token when it expires.
func (l *LimitReader) systemClient(ctx context.Context) (*gophercloud.ServiceClient, error) {
	if c := l.client.Load(); c != nil {
		return c, nil
	}
	c, err, _ := l.flight.Do("login", func() (any, error) {
		provider, err := openstack.NewClient(l.endpoint)
		if err != nil {
			return nil, err
		}
		provider.HTTPClient = http.Client{Transport: l.transport}
		if err := openstack.Authenticate(ctx, provider, l.authOpts); err != nil {
			if gophercloud.ResponseCodeIs(err, http.StatusUnauthorized) {
				l.log.Error("keystone: the service user cannot log in with the system scope; "+
					"it needs the reader role on it (openstack role add --user <user> --system all reader)", "error", err)
			}
			return nil, err
		}
		c := &gophercloud.ServiceClient{ProviderClient: provider, Endpoint: l.endpoint, Type: "identity"}
		l.client.Store(c)
		return c, nil
	})
	if err != nil {
		return nil, err
	}
	return c.(*gophercloud.ServiceClient), nil
}
