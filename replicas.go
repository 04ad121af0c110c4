package picasso

import (
	"context"
	"time"
)

// Membership is the heartbeat table of the replicas sharing one store.
type Membership interface {
	// Beat records that the replica id is alive for ttl more.
	Beat(ctx context.Context, id string, ttl time.Duration) error
	// LiveReplicas counts the replicas whose last beat has not expired.
	LiveReplicas(ctx context.Context) (int, error)
	// Leave removes the replica at once, at a clean shutdown.
	Leave(ctx context.Context, id string) error
}

// Housekeeping deletes what replicas shared and no longer need; one
// replica at a time does it, under a lease.
type Housekeeping interface {
	// PruneChanges deletes up to limit change-feed entries older than cutoff.
	PruneChanges(ctx context.Context, cutoff time.Time, limit int) (int, error)
	// PurgeSignatures deletes up to limit expired webhook replay records.
	PurgeSignatures(ctx context.Context, limit int) (int, error)
	// PruneReplicas deletes the heartbeat rows of replicas that stopped.
	PruneReplicas(ctx context.Context) (int, error)
}
