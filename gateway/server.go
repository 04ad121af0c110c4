// Package gateway is Picasso's HTTP layer: the management API, the
// function-call proxy, health, metrics and documentation. It knows the
// domain and the OpenAPI document, and receives every dependency (store,
// backend, identity) as a domain interface.
package gateway

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/codepkg"
)

// Config holds the gateway's tunables.
type Config struct {
	// PublicURL is the base of the URLs shown to users (public_url,
	// private_url, version links), without a trailing slash.
	PublicURL string
	// FunctionURL, when set, is the base of a separate origin for function
	// calls (origin.go): /r/ and /webhooks/ answer only on its host, and
	// the function URLs shown to users point there.
	FunctionURL string
	// KeystoneEndpoint is advertised in WWW-Authenticate on 401s.
	KeystoneEndpoint string
	// MaxBodyBytes bounds a function call's request body (413 beyond).
	MaxBodyBytes int64
	// MaxAPIBodyBytes bounds a management request's JSON body.
	MaxAPIBodyBytes int64
	// BodyReadTimeout bounds the time a client has to send a request body;
	// a function call's body has the call's deadline instead.
	BodyReadTimeout time.Duration
	// InvokeTimeoutMargin is added to a route's timeout to form the
	// deadline Picasso itself enforces on a call (504 beyond).
	InvokeTimeoutMargin time.Duration
	// MaxInFlightCalls bounds concurrent function calls; excess calls are
	// shed with 503 and Retry-After instead of queueing without limit.
	MaxInFlightCalls int
	// ReadyTimeout bounds each readiness check.
	ReadyTimeout time.Duration
	// RouteCacheRefresh is how often replicas compare the store's write
	// generation to drop stale cached routes.
	RouteCacheRefresh time.Duration
	// ScheduleMinInterval is the shortest gap a schedule's ticks may have
	// (default one minute); patterns ticking faster are refused.
	ScheduleMinInterval time.Duration
	// EventBrokers are the brokers triggers may name, by name and type.
	EventBrokers map[string]picasso.TriggerSourceType
	// Notifications is set when the deployment consumes the cloud's
	// OpenStack notifications (the openstack trigger source).
	Notifications bool
	// MaxAsyncBodyBytes bounds the request body of an async call, which is
	// stored with the call (413 beyond).
	MaxAsyncBodyBytes int64
	// CodeLimits bound uploaded code (codepkg.DefaultLimits when zero).
	CodeLimits codepkg.Limits
}

// Check is a named readiness probe of one dependency.
type Check struct {
	Name  string
	Check func(ctx context.Context) error
}

// Deps are the gateway's collaborators, all behind domain interfaces.
type Deps struct {
	Store picasso.Store
	// Triggers keeps triggers; nil uses Store when it implements it.
	Triggers   picasso.TriggerStore
	Backend    picasso.Backend
	Auth       picasso.Authenticator
	Policy     picasso.Authorizer
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	Gatherer   prometheus.Gatherer
	Checks     []Check
	// Schedules defaults to Store when that keeps schedules too.
	Schedules picasso.ScheduleStore
	// Clock defaults to the wall clock.
	Clock picasso.Clock
	// Calls queues async calls; CallStore reads and changes their records
	// for the calls API.
	Calls     picasso.CallQueue
	CallStore picasso.CallStore
	// CallbackKeys, when set, shows each project its callback signing key.
	CallbackKeys picasso.CallbackKeys
	// Limits are the projects' limits (nil: none); Gate admits function
	// calls within their concurrency and rate limits (nil: no gate).
	Limits picasso.Limits
	Gate   picasso.CallGate
	// Code stores uploaded function code; routes can run code only with
	// it and a backend that is a picasso.CodeRunner.
	Code picasso.CodeStore
	// BackendName names the backend in GET /v1/capabilities.
	BackendName string
}

// Server is the gateway's http.Handler plus the background work its route
// cache needs; Run must be running for cross-replica cache invalidation.
type Server struct {
	cfg         Config
	store       picasso.Store
	schedules   picasso.ScheduleStore
	triggers    picasso.TriggerStore
	clock       picasso.Clock
	backend     picasso.Backend
	auth        picasso.Authenticator
	policy      picasso.Authorizer
	logger      *slog.Logger
	checks      []Check
	metrics     *metrics
	gatherer    prometheus.Gatherer
	routes      *routeCache
	locks       *keyedMutex
	inflight    chan struct{}
	calls       picasso.CallQueue
	records     picasso.CallStore
	cbKeys      picasso.CallbackKeys
	limits      picasso.Limits
	gate        picasso.CallGate
	quota       *quotaMetrics
	code        picasso.CodeStore
	backendName string
	router      *mux.Router
	handler     http.Handler
	// functionHost is FunctionURL's host, empty without a function origin.
	functionHost string
}

// NewServer builds the gateway. It panics only on programming errors
// (a metric registered twice).
func NewServer(cfg Config, deps Deps) *Server {
	cfg = withDefaults(cfg)
	s := &Server{
		cfg:         cfg,
		store:       deps.Store,
		schedules:   deps.Schedules,
		triggers:    deps.Triggers,
		clock:       deps.Clock,
		backend:     deps.Backend,
		auth:        deps.Auth,
		policy:      deps.Policy,
		logger:      deps.Logger,
		checks:      deps.Checks,
		metrics:     newMetrics(deps.Registerer),
		gatherer:    deps.Gatherer,
		routes:      newRouteCache(deps.Store, cfg.RouteCacheRefresh),
		locks:       newKeyedMutex(),
		inflight:    make(chan struct{}, cfg.MaxInFlightCalls),
		calls:       deps.Calls,
		records:     deps.CallStore,
		cbKeys:      deps.CallbackKeys,
		limits:      deps.Limits,
		gate:        deps.Gate,
		code:        deps.Code,
		backendName: deps.BackendName,
	}
	if s.triggers == nil {
		s.triggers, _ = deps.Store.(picasso.TriggerStore)
	}
	if u, err := url.Parse(cfg.FunctionURL); err == nil && cfg.FunctionURL != "" {
		s.functionHost = u.Host
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	s.setUpLimits(deps.Registerer)
	if s.schedules == nil {
		s.schedules, _ = deps.Store.(picasso.ScheduleStore)
	}
	if s.clock == nil {
		s.clock = picasso.SystemClock{}
	}
	s.handler = s.newRouter()
	return s
}

// DefaultConfig holds the tunables a zero field of Config takes;
// picasso-api shows them as its flags' defaults.
func DefaultConfig() Config {
	return Config{
		MaxBodyBytes:        32 << 20,
		MaxAPIBodyBytes:     1 << 20,
		BodyReadTimeout:     30 * time.Second,
		InvokeTimeoutMargin: 2 * time.Second,
		MaxInFlightCalls:    1024,
		ReadyTimeout:        2 * time.Second,
		RouteCacheRefresh:   500 * time.Millisecond,
		MaxAsyncBodyBytes:   256 << 10,
		ScheduleMinInterval: time.Minute,
		CodeLimits:          codepkg.DefaultLimits(),
	}
}

func withDefaults(cfg Config) Config {
	def := DefaultConfig()
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	cfg.FunctionURL = strings.TrimRight(cfg.FunctionURL, "/")
	orDefault(&cfg.MaxBodyBytes, def.MaxBodyBytes)
	orDefault(&cfg.MaxAPIBodyBytes, def.MaxAPIBodyBytes)
	orDefault(&cfg.BodyReadTimeout, def.BodyReadTimeout)
	orDefault(&cfg.InvokeTimeoutMargin, def.InvokeTimeoutMargin)
	orDefault(&cfg.MaxInFlightCalls, def.MaxInFlightCalls)
	orDefault(&cfg.ReadyTimeout, def.ReadyTimeout)
	orDefault(&cfg.RouteCacheRefresh, def.RouteCacheRefresh)
	orDefault(&cfg.MaxAsyncBodyBytes, def.MaxAsyncBodyBytes)
	orDefault(&cfg.ScheduleMinInterval, def.ScheduleMinInterval)
	if cfg.CodeLimits == (codepkg.Limits{}) {
		cfg.CodeLimits = def.CodeLimits
	}
	return cfg
}

// orDefault sets *v to def unless it is positive.
func orDefault[T int | int64 | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// Run keeps the route cache coherent with writes made by other replicas
// until ctx ends.
func (s *Server) Run(ctx context.Context) {
	s.routes.run(ctx, s.logger)
}
