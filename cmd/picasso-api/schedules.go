package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/schedule"
	"github.com/picasso-faas/picasso/store"
)

// scheduler is this replica's schedule runner; every replica runs one.
type scheduler struct {
	runner     *schedule.Runner
	scanPeriod time.Duration
}

func newScheduler(cfg *config, db *store.DB, queue picasso.CallQueue, logger *slog.Logger, registry prometheus.Registerer) *scheduler {
	return &scheduler{
		runner:     schedule.NewRunner(schedule.Options{Store: db, Queue: queue, Logger: logger, Registerer: registry}),
		scanPeriod: cfg.ScheduleScanPeriod,
	}
}

// start scans for due ticks until the returned stop is called; stop waits
// for the scan in progress, so that none runs on a closed database.
func (s *scheduler) start() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.runner.Run(ctx, s.scanPeriod)
	}()
	return func() {
		cancel()
		<-done
	}
}
