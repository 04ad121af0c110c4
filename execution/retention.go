package execution

import (
	"context"
	"log/slog"
	"time"

	"github.com/picasso-faas/picasso"
)

// Defaults of PurgerConfig.
const (
	DefaultRetention     = 7 * 24 * time.Hour
	DefaultPurgeInterval = 10 * time.Minute
	DefaultPurgeBatch    = 1000
)

// purgeLease is the lease row that makes one replica at a time purge.
const purgeLease = "calls-purge"

// PurgerConfig tunes the retention purge.
type PurgerConfig struct {
	// Owner names this replica in the lease (the worker's owner will do).
	Owner string
	// Retention is how long final calls are kept after they were created.
	Retention time.Duration
	// Interval is how often the purge runs; Batch how many rows one
	// statement deletes, so that no purge holds locks for long.
	Interval time.Duration
	Batch    int
	Logger   *slog.Logger
}

// Purger deletes old final call records.
type Purger struct {
	cfg    PurgerConfig
	calls  picasso.CallStore
	leases picasso.Leases
}

// NewPurger returns a purger; it needs cfg.Owner.
func NewPurger(cfg PurgerConfig, calls picasso.CallStore, leases picasso.Leases) *Purger {
	if cfg.Retention <= 0 {
		cfg.Retention = DefaultRetention
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultPurgeInterval
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultPurgeBatch
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Purger{cfg: cfg, calls: calls, leases: leases}
}

// Run purges every interval until ctx ends.
func (p *Purger) Run(ctx context.Context) {
	ticker := time.NewTicker(p.cfg.Interval)
	defer ticker.Stop()
	for {
		if _, err := p.PurgeOnce(ctx); err != nil && ctx.Err() == nil {
			p.cfg.Logger.Warn("purging old calls failed", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// PurgeOnce deletes, batch by batch, the final calls created before the
// retention, if this replica holds the purge lease; it returns how many
// it deleted.
func (p *Purger) PurgeOnce(ctx context.Context) (int, error) {
	held, err := p.leases.TryLease(ctx, purgeLease, p.cfg.Owner, 2*p.cfg.Interval)
	if err != nil || !held {
		return 0, err
	}
	cutoff := time.Now().Add(-p.cfg.Retention)
	total := 0
	for ctx.Err() == nil {
		n, err := p.calls.PurgeCalls(ctx, cutoff, p.cfg.Batch)
		total += n
		if err != nil || n < p.cfg.Batch {
			return total, err
		}
	}
	return total, ctx.Err()
}
