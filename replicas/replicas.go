// Package replicas keeps a replica's heartbeat row, counts the live
// replicas for those who divide a limit among them, and does the shared
// housekeeping (pruning the change feed, the webhook replay records and
// the rows of dead replicas) on one replica at a time, under a lease.
package replicas

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/picasso-faas/picasso"
)

// Defaults of Config.
const (
	DefaultHeartbeat       = 5 * time.Second
	DefaultChangeRetention = 10 * time.Minute
	housekeepingBatch      = 1000
)

// housekeepingLease is the lease row that makes one replica at a time
// prune.
const housekeepingLease = "replicas-housekeeping"

// Config tunes a Replica.
type Config struct {
	// ID names this replica in the heartbeat table and the lease.
	ID string
	// Heartbeat is how often the row is renewed; it expires after three
	// missed beats, and so does the housekeeping lease.
	Heartbeat time.Duration
	// ChangeRetention is how long change-feed entries are kept; it must
	// exceed the readers' refresh interval by far (see the gateway).
	ChangeRetention time.Duration
	Logger          *slog.Logger
}

// Store is what a Replica needs of the store.
type Store interface {
	picasso.Membership
	picasso.Housekeeping
	picasso.Leases
}

// Replica is this process's membership.
type Replica struct {
	cfg   Config
	store Store
	live  atomic.Int64
}

// New returns the replica; Run makes it beat.
func New(cfg Config, store Store) *Replica {
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = DefaultHeartbeat
	}
	if cfg.ChangeRetention <= 0 {
		cfg.ChangeRetention = DefaultChangeRetention
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Replica{cfg: cfg, store: store}
	r.live.Store(1)
	return r
}

// Live is the number of live replicas at the last beat, this one included
// (1 until the first beat): it costs no query, so a hot path may read it.
func (r *Replica) Live() int { return int(r.live.Load()) }

// Run beats, counts and, when it holds the lease, prunes, every heartbeat
// until ctx ends; then it leaves the table.
func (r *Replica) Run(ctx context.Context) {
	ticker := time.NewTicker(r.cfg.Heartbeat)
	defer ticker.Stop()
	for {
		if err := r.beat(ctx); err != nil && ctx.Err() == nil {
			r.cfg.Logger.Warn("replica heartbeat failed", "error", err)
		}
		select {
		case <-ctx.Done():
			leave, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.Heartbeat)
			r.store.Leave(leave, r.cfg.ID)
			cancel()
			return
		case <-ticker.C:
		}
	}
}

func (r *Replica) beat(ctx context.Context) error {
	ttl := 3 * r.cfg.Heartbeat
	if err := r.store.Beat(ctx, r.cfg.ID, ttl); err != nil {
		return err
	}
	n, err := r.store.LiveReplicas(ctx)
	if err != nil {
		return err
	}
	r.live.Store(int64(max(n, 1)))
	held, err := r.store.TryLease(ctx, housekeepingLease, r.cfg.ID, ttl)
	if err != nil || !held {
		return err
	}
	return r.housekeep(ctx)
}

// housekeep prunes in batches, so that no statement holds locks for long.
func (r *Replica) housekeep(ctx context.Context) error {
	cutoff := time.Now().Add(-r.cfg.ChangeRetention)
	for {
		n, err := r.store.PruneChanges(ctx, cutoff, housekeepingBatch)
		if err != nil {
			return err
		}
		if n < housekeepingBatch {
			break
		}
	}
	for {
		n, err := r.store.PurgeSignatures(ctx, housekeepingBatch)
		if err != nil {
			return err
		}
		if n < housekeepingBatch {
			break
		}
	}
	_, err := r.store.PruneReplicas(ctx)
	return err
}
