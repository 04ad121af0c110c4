package gateway

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/picasso-faas/picasso"
)

const (
	// changeBatch bounds the entries one poll reads; the rest come at the
	// next poll.
	changeBatch = 1000
	// gapPatience is how long an id skipped by the feed is waited for. A
	// write appends its change as its last statement, so its id becomes
	// visible within a commit's time, or never (a rollback, or Galera's
	// auto-increment steps).
	gapPatience = 10 * time.Second
	// maxGaps bounds the ids waited for; past it the reader starts over.
	maxGaps = 10_000
	// ChangeRetention is how long the store keeps the change feed; a
	// reader out of touch for half of it starts over rather than trust
	// what it can still read.
	ChangeRetention = 10 * time.Minute
)

// changeFeed reads the store's change feed from where it last stopped.
// Ids are taken at insert and become visible at commit, so a smaller id
// can appear after a larger one: the ids skipped are read again, as gaps,
// until they show up or gapPatience has passed.
type changeFeed struct {
	store    picasso.Store
	now      func() time.Time
	started  bool
	position int64
	gaps     map[int64]time.Time // skipped id → when it was first skipped
	lastRead time.Time
}

func newChangeFeed(store picasso.Store, now func() time.Time) *changeFeed {
	return &changeFeed{store: store, now: now, gaps: map[int64]time.Time{}}
}

// next returns the changes committed since the last call. It returns nil
// and no error when the caller must start over, forgetting everything it
// cached: at the first call, after being out of touch for longer than
// half of ChangeRetention, or when too many ids were skipped.
func (f *changeFeed) next(ctx context.Context) ([]picasso.Change, error) {
	now := f.now()
	if !f.started || now.Sub(f.lastRead) > ChangeRetention/2 || len(f.gaps) > maxGaps {
		last, err := f.store.LastChange(ctx)
		if err != nil {
			return nil, err
		}
		f.started, f.position, f.lastRead = true, last, now
		clear(f.gaps)
		return nil, nil
	}
	maps.DeleteFunc(f.gaps, func(_ int64, since time.Time) bool { return now.Sub(since) > gapPatience })
	changes, err := f.store.Changes(ctx, f.position, slices.Sorted(maps.Keys(f.gaps)), changeBatch)
	if err != nil {
		return nil, err
	}
	f.lastRead = now
	for _, ch := range changes {
		if ch.ID <= f.position {
			delete(f.gaps, ch.ID)
			continue
		}
		for id := f.position + 1; id < ch.ID && len(f.gaps) <= maxGaps; id++ {
			f.gaps[id] = now
		}
		f.position = ch.ID
	}
	if changes == nil {
		changes = []picasso.Change{}
	}
	return changes, nil
}
