package main

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/execution"
	"github.com/picasso-faas/picasso/store"
)

// executionConfig tunes the durable execution core (docs/executions.md).
type executionConfig struct {
	WorkerConcurrency        int
	WorkerProjectConcurrency int
	CallLeaseMargin          time.Duration
	CallPollInterval         time.Duration
	RetryBackoffBase         time.Duration
	RetryBackoffCap          time.Duration
	CallMaxAttempts          int
	AsyncMaxBodyBytes        int64
	CallRetention            time.Duration
	CallbackAllowPrivate     bool
	CallbackSecret           string
	CallbackTimeout          time.Duration
}

func (c *executionConfig) register(e *envFlags) {
	e.Int(&c.WorkerConcurrency, "worker-concurrency", "PICASSO_WORKER_CONCURRENCY", execution.DefaultConcurrency, "async calls this replica runs at once; 0 runs no worker here (an API-only replica)")
	e.Int(&c.WorkerProjectConcurrency, "worker-project-concurrency", "PICASSO_WORKER_PROJECT_CONCURRENCY", 0, "async calls of one project this replica runs at once (default: --worker-concurrency)")
	e.Duration(&c.CallLeaseMargin, "call-lease-margin", "PICASSO_CALL_LEASE_MARGIN", execution.DefaultLeaseMargin, "added to a route's timeout to form a worker's lease on a call; a call whose worker died runs again after it")
	e.Duration(&c.CallPollInterval, "call-poll-interval", "PICASSO_CALL_POLL_INTERVAL", execution.DefaultPollInterval, "how often an idle worker looks for due calls")
	e.Duration(&c.RetryBackoffBase, "retry-backoff-base", "PICASSO_RETRY_BACKOFF_BASE", execution.DefaultBackoffBase, "delay before the second attempt of a failed async call (doubling, with jitter)")
	e.Duration(&c.RetryBackoffCap, "retry-backoff-cap", "PICASSO_RETRY_BACKOFF_CAP", execution.DefaultBackoffCap, "longest delay between two attempts")
	e.Int(&c.CallMaxAttempts, "call-max-attempts", "PICASSO_CALL_MAX_ATTEMPTS", execution.DefaultMaxAttempts, "attempts of an async call whose route sets no max_attempts")
	e.Int64(&c.AsyncMaxBodyBytes, "async-max-body-size", "PICASSO_ASYNC_MAX_BODY_SIZE", execution.DefaultMaxPayloadBytes, "largest async call body in bytes, stored with the call (413 beyond)")
	e.Duration(&c.CallRetention, "call-retention", "PICASSO_CALL_RETENTION", execution.DefaultRetention, "how long finished call records are kept")
	e.Bool(&c.CallbackAllowPrivate, "callback-allow-private", "PICASSO_CALLBACK_ALLOW_PRIVATE", false, "let callbacks reach loopback, link-local and private addresses (refused by default: SSRF)")
	e.Duration(&c.CallbackTimeout, "callback-timeout", "PICASSO_CALLBACK_TIMEOUT", execution.DefaultCallbackTimeout, "how long one callback delivery may take; a replica that dies sending one leaves it to another after 1.5 times this")
	e.Secret(&c.CallbackSecret, "callback-secret", "PICASSO_CALLBACK_SECRET", "secret each project's callback signing key is derived from; the same on every replica (unset: callbacks are not signed)")
}

func (c *executionConfig) check() error {
	switch {
	case c.WorkerConcurrency < 0:
		return errors.New("invalid --worker-concurrency: must not be negative")
	case c.WorkerProjectConcurrency < 0:
		return errors.New("invalid --worker-project-concurrency: must not be negative")
	case c.CallLeaseMargin <= 0 || c.CallPollInterval <= 0:
		return errors.New("invalid --call-lease-margin or --call-poll-interval: must be positive")
	case c.RetryBackoffBase <= 0 || c.RetryBackoffCap < c.RetryBackoffBase:
		return errors.New("invalid --retry-backoff-base or --retry-backoff-cap: the base must be positive and the cap at least the base")
	case c.CallMaxAttempts <= 0:
		return errors.New("invalid --call-max-attempts: must be positive")
	case c.CallRetention <= 0:
		return errors.New("invalid --call-retention: must be positive")
	case c.CallbackTimeout <= 0:
		return errors.New("invalid --callback-timeout: must be positive")
	case c.AsyncMaxBodyBytes <= 0 || c.AsyncMaxBodyBytes > 16<<20:
		return errors.New("invalid --async-max-body-size: must be from 1 byte to 16 MiB")
	}
	return nil
}

// executions is the execution core of one replica.
type executions struct {
	worker    *execution.Worker
	enqueuer  *execution.Enqueuer
	purger    *execution.Purger
	callbacks *execution.Callbacks
	keys      *execution.CallbackKeys
	// runWorker is false on API-only replicas (--worker-concurrency 0),
	// which send no callbacks either.
	runWorker bool
}

// newExecutions builds the execution core; its worker takes leases as
// owner and admits calls through gate, the gateway's.
func newExecutions(cfg *config, db *store.DB, backend picasso.Backend, limits picasso.Limits, gate picasso.CallGate,
	owner string, logger *slog.Logger, registry prometheus.Registerer) *executions {
	c := cfg.Executions
	metrics := execution.NewMetrics(registry, db)
	keys := execution.NewCallbackKeys(c.CallbackSecret)
	callbacks := execution.NewCallbacks(execution.CallbackConfig{AllowPrivate: c.CallbackAllowPrivate,
		Timeout: c.CallbackTimeout, Logger: logger}, keys, db)
	callbacks.Observe(metrics.CallbackSent)
	worker := execution.NewWorker(execution.WorkerConfig{
		Owner:              owner,
		Concurrency:        c.WorkerConcurrency,
		ProjectConcurrency: c.WorkerProjectConcurrency,
		LeaseMargin:        c.CallLeaseMargin,
		PollInterval:       c.CallPollInterval,
		Backoff:            execution.Backoff{Base: c.RetryBackoffBase, Cap: c.RetryBackoffCap},
		Gate:               gate,
		Deferred:           metrics.Deferred,
		Logger:             logger,
	}, db, db, backend, execution.Finishers{metrics, callbacks})
	enqueuer := execution.NewEnqueuer(execution.EnqueuerConfig{
		MaxPayloadBytes: int(c.AsyncMaxBodyBytes),
		MaxAttempts:     c.CallMaxAttempts,
		Limits:          limits,
	}, db, db, worker.Wake)
	purger := execution.NewPurger(execution.PurgerConfig{Owner: worker.Owner(), Retention: c.CallRetention, Logger: logger}, db, db)
	return &executions{worker: worker, enqueuer: enqueuer, purger: purger, callbacks: callbacks, keys: keys,
		runWorker: c.WorkerConcurrency > 0}
}

// start runs the worker, the callback sender and the purger until the
// returned stop is called; stop waits for the calls the worker runs and
// the callbacks being sent until wait ends (their leases cover the rest).
func (x *executions) start() (stop func(wait context.Context)) {
	ctx, cancel := context.WithCancel(context.Background())
	go x.purger.Run(ctx)
	var running sync.WaitGroup
	if x.runWorker {
		running.Go(func() { x.worker.Run(ctx) })
		running.Go(func() { x.callbacks.Run(ctx) })
	}
	done := make(chan struct{})
	go func() {
		running.Wait()
		close(done)
	}()
	return func(wait context.Context) {
		cancel()
		select {
		case <-done:
		case <-wait.Done():
		}
	}
}
