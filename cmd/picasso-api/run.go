package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/net/netutil"

	"github.com/picasso-faas/picasso/gateway"
	"github.com/picasso-faas/picasso/internal/rawio"
)

// run is the whole program: main only supplies the process's context,
// arguments, environment and output streams, so tests run it as a user
// would.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	name, rest := "picasso-api", args[1:]
	if len(rest) > 0 {
		switch rest[0] {
		case "migrate":
			return runMigrate(ctx, rest[1:], getenv, stdout, stderr)
		case "reconcile":
			return runReconcile(ctx, rest[1:], getenv, stdout, stderr)
		case "healthcheck":
			return runHealthcheck(ctx, rest[1:], getenv, stdout, stderr)
		case "serve":
			rest = rest[1:]
		}
	}
	cfg, err := parseConfig(name, rest, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	return serve(ctx, cfg, stdout, stderr)
}

// serve wires the dependencies, serves until ctx ends, then drains.
func serve(ctx context.Context, cfg *config, stdout, stderr io.Writer) error {
	started := time.Now()
	logger, logCloser, err := newLogger(cfg, stdout, stderr)
	if err != nil {
		return err
	}
	defer logCloser.Close()

	runtimeAttrs, stopFitting := fitRuntime(cfg, logger)
	defer stopFitting()

	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(fittedRuntimeMetrics), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	deps, err := wire(ctx, cfg, logger, registry)
	if err != nil {
		return err
	}
	defer deps.close(logger)

	listener, err := net.Listen("tcp", cfg.listenAddr())
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", cfg.listenAddr(), err)
	}
	addr := listener.Addr().String()
	// Beyond the cap, connections wait in the kernel's backlog instead of
	// each taking a goroutine and a descriptor.
	listener = netutil.LimitListener(rawio.Listener(listener), cfg.MaxConnections)
	gwConfig := deps.gatewayConfig
	if gwConfig.PublicURL == "" {
		gwConfig.PublicURL = "http://" + publicHostPort(addr)
	}
	gw := gateway.NewServer(gwConfig, deps.gateway)

	srv := &http.Server{
		Handler:           gw,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	metricsSrv := startMetricsServer(cfg, registry, logger)

	cacheCtx, stopCache := context.WithCancel(context.WithoutCancel(ctx))
	defer stopCache()
	go gw.Run(cacheCtx)
	replicaDone := make(chan struct{})
	go func() { defer close(replicaDone); deps.replica.Run(cacheCtx) }()
	// Deferred, so that the replica leaves the table before the database closes.
	defer func() { stopCache(); <-replicaDone }()
	stopWorker := deps.executions.start()
	// Deferred, so that it stops before the database closes.
	defer deps.scheduler.start()()
	stopTriggers := deps.triggers.start()

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(listener) }()
	logStart(logger, cfg, addr, time.Since(started), append(deps.startAttrs, runtimeAttrs...)...)
	// What start-up allocated (the migrations' reads, the OpenAPI
	// document's parse) is garbage by now, and the collector's heap floor
	// would keep its pages until the heap grows that far: they go back to
	// the OS once, off the request path. About 1 MB of an idle replica's
	// memory (docs/benchmarks.md).
	go debug.FreeOSMemory()

	select {
	case err := <-serveErr:
		return fmt.Errorf("server stopped: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down: draining in-flight requests", "drain_timeout", cfg.DrainTimeout)
	drainCtx, cancel := context.WithTimeout(context.Background(), cfg.DrainTimeout)
	defer cancel()
	if metricsSrv != nil {
		metricsSrv.Shutdown(drainCtx)
	}
	if err := srv.Shutdown(drainCtx); err != nil {
		srv.Close()
		return fmt.Errorf("drain timeout of %s reached with requests still running", cfg.DrainTimeout)
	}
	// Messages not yet recorded as calls go back to their brokers.
	stopTriggers()
	// Calls still running when the drain ends are left to their leases:
	// another replica runs them again.
	stopWorker(drainCtx)
	logger.Info("stopped")
	return nil
}

// logStart says how Picasso runs; in the embedded development mode it
// says so first, so nobody mistakes it for a production setup.
func logStart(logger *slog.Logger, cfg *config, addr string, elapsed time.Duration, backendAttrs ...any) {
	switch {
	case cfg.Auth == authNoAuth && !isLoopback(cfg.Host):
		_, port, _ := net.SplitHostPort(addr)
		logger.Warn("!!! DEVELOPMENT MODE ON A NON-LOOPBACK ADDRESS: NO AUTHENTICATION, ANYONE WHO CAN REACH "+net.JoinHostPort(cfg.Host, port)+" IS ADMIN OF EVERY PROJECT; only to try Picasso out, never in production !!!", "host", cfg.Host)
	case cfg.Auth == authNoAuth:
		logger.Warn("development mode: no authentication, every caller is admin", "host", cfg.Host)
	}
	logger.Info("picasso-api ready", append([]any{
		"addr", addr,
		"auth", cfg.Auth,
		"backend", cfg.Backend,
		"database", databaseKind(cfg.DBURI),
		"startup", elapsed,
	}, backendAttrs...)...)
}

func startMetricsServer(cfg *config, registry *prometheus.Registry, logger *slog.Logger) *http.Server {
	if cfg.MetricsAddr == "" {
		return nil
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
	srv := &http.Server{Addr: cfg.MetricsAddr, Handler: mux, ReadHeaderTimeout: cfg.ReadHeaderTimeout}
	go func() {
		if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("metrics listener failed", "addr", cfg.MetricsAddr, "error", err)
		}
	}()
	return srv
}

// publicHostPort turns a wildcard listen address into one a client can use.
func publicHostPort(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}
