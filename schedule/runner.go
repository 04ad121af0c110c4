package schedule

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/picasso-faas/picasso"
)

// Defaults of a Runner.
const (
	DefaultScanPeriod = time.Second
	DefaultBatch      = 100
)

// Options configure a Runner; zero values select the defaults.
type Options struct {
	Store  picasso.ScheduleStore
	Queue  picasso.CallQueue
	Clock  picasso.Clock
	Logger *slog.Logger
	// Batch bounds how many due schedules one query reads.
	Batch int
	// Registerer, when set, receives the runner's metrics.
	Registerer prometheus.Registerer
}

// Runner fires due ticks. Every replica runs one; they need no
// coordination beyond the database (see Scan).
type Runner struct {
	store  picasso.ScheduleStore
	queue  picasso.CallQueue
	clock  picasso.Clock
	logger *slog.Logger
	batch  int
	ticks  *prometheus.CounterVec
}

// NewRunner returns a Runner over the store and the queue.
func NewRunner(o Options) *Runner {
	r := &Runner{store: o.Store, queue: o.Queue, clock: o.Clock, logger: o.Logger, batch: o.Batch}
	if r.clock == nil {
		r.clock = picasso.SystemClock{}
	}
	if r.logger == nil {
		r.logger = slog.New(slog.DiscardHandler)
	}
	if r.batch <= 0 {
		r.batch = DefaultBatch
	}
	r.ticks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "picasso_schedule_ticks_total",
		Help: "Schedule ticks this replica fired (fired), or tried to and will try again (failed).",
	}, []string{"outcome"})
	if o.Registerer != nil {
		o.Registerer.MustRegister(r.ticks)
	}
	return r
}

// Run scans every period until ctx ends.
func (r *Runner) Run(ctx context.Context, period time.Duration) {
	if period <= 0 {
		period = DefaultScanPeriod
	}
	ticker := time.NewTicker(period)
	defer ticker.Stop()
	for {
		if _, err := r.Scan(ctx); err != nil && ctx.Err() == nil {
			r.logger.WarnContext(ctx, "schedules: scan failed", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// Scan fires every tick due at the clock's now and reports how many this
// replica fired; its error is that of reading the due schedules. Each replica reads the table itself, so a schedule that
// was disabled or deleted is never fired from a stale copy.
//
// A tick is first enqueued, with the tick's idempotency key, and then
// claimed by advancing the schedule past it. Replicas racing on one tick
// enqueue the same key, which the queue keeps as one call, and only one
// of them advances the row. A replica that dies between the two steps
// leaves the tick due, and whoever fires it next enqueues the same key
// again: no tick is lost and none runs twice.
func (r *Runner) Scan(ctx context.Context) (int, error) {
	fired := 0
	for {
		now := r.clock.Now()
		due, err := r.store.DueSchedules(ctx, now, r.batch)
		if err != nil {
			return fired, err
		}
		progressed := false
		for _, s := range due {
			// One schedule's failure (its project over a queue limit, say)
			// must not hold up the others: its tick stays due and is
			// tried again at the next scan.
			won, err := r.fire(ctx, s, now)
			if err != nil {
				r.ticks.WithLabelValues("failed").Inc()
				r.logger.WarnContext(ctx, "schedules: tick not fired", "schedule", s.ID, "tick", s.NextRunAt, "error", err)
			}
			if won {
				r.ticks.WithLabelValues("fired").Inc()
				fired++
				progressed = true
			}
		}
		if len(due) < r.batch || !progressed {
			return fired, nil
		}
	}
}

// fire enqueues the call of s's due tick and advances s past it,
// reporting whether this replica's claim won.
func (r *Runner) fire(ctx context.Context, s *picasso.Schedule, now time.Time) (bool, error) {
	tick := s.NextRunAt
	// The pattern was validated when it was written; the minimum interval
	// is not checked again, so lowering it never stops existing schedules.
	t, err := Parse(s.Pattern, s.Timezone, 0)
	if err != nil {
		r.logger.ErrorContext(ctx, "schedules: cannot read a stored pattern", "schedule", s.ID, "error", err)
		return false, nil
	}
	next := t.following(tick, now)
	if s.Count > 0 && s.Runs+1 >= s.Count {
		next = time.Time{}
	}
	call := &picasso.CallRecord{
		ProjectID:      s.ProjectID,
		AppID:          s.AppID,
		AppName:        s.AppName,
		RoutePath:      s.RoutePath,
		Trigger:        picasso.TriggerSchedule,
		IdempotencyKey: s.TickKey(tick),
		Request:        s.Request(),
	}
	if _, _, err := r.queue.Enqueue(ctx, call); err != nil {
		return false, err
	}
	won, err := r.store.AdvanceSchedule(ctx, s.ID, tick, next)
	if err != nil {
		return false, err
	}
	if won {
		r.logger.DebugContext(ctx, "schedules: tick fired", "schedule", s.ID, "project_id", s.ProjectID,
			"tick", tick, "next_run_at", next, "late", now.Sub(tick))
	}
	return won, nil
}
