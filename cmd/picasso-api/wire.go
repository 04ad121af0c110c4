package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/picasso-faas/picasso/backend/driver"

	"github.com/go-sql-driver/mysql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/backend/fn"
	"github.com/picasso-faas/picasso/backend/ironfunctions"
	"github.com/picasso-faas/picasso/backend/local"
	"github.com/picasso-faas/picasso/execution"
	"github.com/picasso-faas/picasso/gateway"
	"github.com/picasso-faas/picasso/keystone"
	"github.com/picasso-faas/picasso/quota"
	"github.com/picasso-faas/picasso/reconcile"
	"github.com/picasso-faas/picasso/replicas"
	"github.com/picasso-faas/picasso/store"
)

// dependencies are the concrete pieces behind the gateway's interfaces.
type dependencies struct {
	gateway       gateway.Deps
	gatewayConfig gateway.Config
	executions    *executions
	scheduler     *scheduler
	triggers      *triggers
	// replica beats in the heartbeat table and does the shared
	// housekeeping when it holds the lease.
	replica *replicas.Replica
	closers []func(context.Context) error
	// startAttrs describe the backend in the start log: the local
	// runtime's sandbox in force.
	startAttrs []any
}

func (d *dependencies) close(logger *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := len(d.closers) - 1; i >= 0; i-- {
		if err := d.closers[i](ctx); err != nil {
			logger.Warn("closing a dependency failed", "error", err)
		}
	}
}

// wire opens the store and builds the backend and the identity pieces.
// Only the store must answer at start: a backend or Keystone that is down
// is reported by /readyz instead, and calls fail with 502/503 until it
// returns.
func wire(ctx context.Context, cfg *config, logger *slog.Logger, registry *prometheus.Registry) (*dependencies, error) {
	d := &dependencies{gatewayConfig: gateway.Config{
		PublicURL:           cfg.PublicURL,
		MaxBodyBytes:        cfg.MaxBodyBytes,
		MaxInFlightCalls:    cfg.MaxInFlightCalls,
		InvokeTimeoutMargin: cfg.InvokeTimeoutMargin,
		ScheduleMinInterval: cfg.ScheduleMinInterval,
		MaxAsyncBodyBytes:   cfg.Executions.AsyncMaxBodyBytes,
		BodyReadTimeout:     cfg.BodyReadTimeout,
		FunctionURL:         cfg.FunctionURL,
	}}
	mysql.SetLogger(mysqlLogger{logger})
	if err := checkSQLiteWritable(cfg.DBURI); err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, cfg.DBURI, store.Options{AutoMigrate: cfg.AutoMigrate})
	if err != nil {
		return nil, err
	}
	d.closers = append(d.closers, func(context.Context) error { return db.Close() })
	registry.MustRegister(collectors.NewDBStatsCollector(db.SQL(), "picasso"))

	backend, err := newBackend(cfg, logger, db)
	if err != nil {
		d.close(logger)
		return nil, err
	}
	d.closers = append(d.closers, backend.Close)
	if rt, ok := backend.(*local.Runtime); ok {
		d.startAttrs = append(d.startAttrs, "sandbox", rt.SandboxInForce())
		if err := loadLocalRuntime(ctx, db, rt, logger); err != nil {
			d.close(logger)
			return nil, err
		}
	}

	limits, err := newLimits(cfg, logger, d)
	if err != nil {
		d.close(logger)
		return nil, err
	}
	// The replica's heartbeat row and its worker's leases share one name.
	replicaID := execution.NewOwner()
	d.replica = replicas.New(replicas.Config{ID: replicaID, ChangeRetention: gateway.ChangeRetention,
		Logger: logger}, db)
	// One gate for the replica's sync calls (the gateway) and its async
	// ones (the worker), so that they share the project's slots; each
	// replica takes its share of the limits by the live replica count.
	gate := quota.NewGate(quota.GateOptions{Limits: limits, LiveReplicas: d.replica.Live})
	d.executions = newExecutions(cfg, db, backend, limits, gate, replicaID, logger, registry)
	d.scheduler = newScheduler(cfg, db, d.executions.enqueuer, logger, registry)
	var brokers gatewayTriggerConfig
	d.triggers, err = newTriggers(cfg, db, d.executions.enqueuer, logger, registry, &brokers)
	if err != nil {
		d.close(logger)
		return nil, err
	}
	d.gatewayConfig.EventBrokers, d.gatewayConfig.Notifications = brokers.brokers, brokers.notifications
	d.gateway = gateway.Deps{
		Store:        db,
		Backend:      backend,
		Calls:        d.executions.enqueuer,
		CallStore:    db,
		CallbackKeys: d.executions.keys,
		Code:         db,
		BackendName:  cfg.Backend,
		Logger:       logger,
		Registerer:   registry,
		Gatherer:     registry,
		Checks: []gateway.Check{
			{Name: "database", Check: db.Ping},
			{Name: "backend", Check: backend.Ping},
		},
	}
	switch cfg.Auth {
	case authNoAuth:
		d.gateway.Auth = keystone.NoAuth{}
		d.gateway.Policy = keystone.DefaultPolicy()
	case authKeystone:
		validator, err := keystone.NewValidator(ctx, keystoneOptions(cfg, logger))
		if err != nil {
			d.close(logger)
			return nil, fmt.Errorf("keystone: %w", err)
		}
		registry.MustRegister(newKeystoneCollector(validator))
		d.gateway.Auth = validator
		d.closers = append(d.closers, func(context.Context) error { validator.Close(); return nil })
		d.gateway.Policy = keystone.DefaultPolicy()
		d.gateway.Checks = append(d.gateway.Checks, gateway.Check{Name: "keystone", Check: keystoneReachable(cfg.KeystoneEndpoint)})
		d.gatewayConfig.KeystoneEndpoint = cfg.KeystoneEndpoint
	}
	d.gateway.Limits = limits
	d.gateway.Gate = gate
	return d, nil
}

// newBackend builds the configured backend; code, when set, is where the
// local runtime reads uploaded code it has not unpacked yet.
func newBackend(cfg *config, logger *slog.Logger, code picasso.CodeSource) (driver.Driver, error) {
	switch cfg.Backend {
	case backendIronFunctions:
		return ironfunctions.New(cfg.FunctionsURL, ironfunctions.Options{Timeout: cfg.BackendTimeout})
	case backendFn:
		return fn.New(cfg.FunctionsURL, fn.Options{Timeout: cfg.BackendTimeout})
	default:
		rt, err := newLocalRuntime(cfg, logger, code)
		if err != nil {
			return nil, fmt.Errorf("invalid --functions-dir: %w", err)
		}
		return rt, nil
	}
}

// newLocalRuntime builds the local runtime with its sandbox. Without
// bubblewrap, development mode (noauth) warns and runs functions
// unsandboxed; with Keystone, tenants' code must not run that way unless
// the operator says so with --local-sandbox=none.
func newLocalRuntime(cfg *config, logger *slog.Logger, code picasso.CodeSource) (*local.Runtime, error) {
	opts := local.Options{
		Code:         code,
		CodeCacheDir: cfg.LocalCodeCacheDir,
		FunctionsDir: cfg.FunctionsDir,
		Logger:       logger,
		Sandbox:      local.Sandbox(cfg.LocalSandbox),
		SandboxUser:  cfg.LocalSandboxUser,
		AllowNetwork: cfg.LocalAllowNetwork,
		MaxProcesses: cfg.LocalMaxProcesses,
		TmpSizeBytes: cfg.LocalTmpSize,

		MaxIdleWorkers: cfg.LocalMaxIdle,
	}
	rt, err := local.New(opts)
	if errors.Is(err, local.ErrSandboxUnavailable) {
		if cfg.Auth != authNoAuth {
			return nil, fmt.Errorf("refusing to run tenants' functions unsandboxed: %w; install bubblewrap (Debian package bubblewrap) or pass --local-sandbox=none", err)
		}
		logger.Warn("development mode: the local runtime's sandbox is unavailable, functions run unsandboxed", "error", err)
		opts.Sandbox = local.SandboxNone
		rt, err = local.New(opts)
	}
	switch {
	case errors.Is(err, local.ErrInvalidSandboxUser):
		return nil, fmt.Errorf("invalid --local-sandbox-user: %w", err)
	case err != nil:
		return nil, fmt.Errorf("invalid --functions-dir: %w", err)
	}
	return rt, nil
}

// loadLocalRuntime hands the local runtime, which keeps its registry in
// memory, the apps and routes of the store: the same repair reconcile
// does, run at every start.
func loadLocalRuntime(ctx context.Context, db *store.DB, rt *local.Runtime, logger *slog.Logger) error {
	drifts, err := reconcile.Run(ctx, db, rt, true)
	if err != nil {
		return fmt.Errorf("loading the local runtime: %w", err)
	}
	for _, d := range drifts {
		if !d.Repaired {
			logger.Warn("local runtime: could not load", "app", d.BackendName, "path", d.Path, "kind", d.Kind, "error", d.RepairError)
		}
	}
	return nil
}

func keystoneOptions(cfg *config, logger *slog.Logger) keystone.Options {
	return keystone.Options{
		AuthURL:             cfg.KeystoneEndpoint,
		Username:            cfg.KeystoneUser,
		Password:            cfg.KeystonePassword,
		UserDomainName:      cfg.KeystoneUserDomain,
		ProjectName:         cfg.KeystoneProject,
		ProjectDomainName:   cfg.KeystoneProjectDomain,
		AppCredentialID:     cfg.KeystoneAppCredentialID,
		AppCredentialSecret: cfg.KeystoneAppCredentialKey,
		CacheTTL:            cfg.TokenCacheTTL,
		Timeout:             cfg.KeystoneTimeout,
		MaxValidations:      cfg.KeystoneMaxValidations,
		Logger:              logger,
	}
}

// keystoneReachable checks that Keystone answers at all; whether our
// service login works shows in the calls themselves (503).
func keystoneReachable(endpoint string) func(context.Context) error {
	client := &http.Client{}
	url := strings.TrimRight(endpoint, "/")
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			return fmt.Errorf("keystone answered %d", resp.StatusCode)
		}
		return nil
	}
}

// mysqlLogger sends the MySQL driver's messages (dropped idle connections,
// which it retries by itself) to the structured log instead of stderr.
type mysqlLogger struct{ logger *slog.Logger }

func (l mysqlLogger) Print(v ...any) { l.logger.Debug("mysql driver", "message", fmt.Sprint(v...)) }

// databaseKind names the database without its credentials.
func databaseKind(uri string) string {
	driver, _, err := store.ParseURI(uri)
	if err != nil {
		return "unknown"
	}
	return driver
}
