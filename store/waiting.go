package store

import (
	"context"
	"sync"
	"time"

	"github.com/picasso-faas/picasso"
)

// waitingFresh is how long a counted number of waiting calls is trusted.
// Within it, enqueues far from the cap skip the count; near the cap the
// count is always made afresh, so the cap is exact where it matters.
const waitingFresh = 500 * time.Millisecond

// waitingCounts remembers, per project, how many calls were waiting when
// last counted plus those inserted since, to spare most enqueues a count.
type waitingCounts struct {
	mu      sync.Mutex
	entries map[string]waitingCount
}

type waitingCount struct {
	n  int
	at time.Time
}

// reserve counts one more call for project and reports whether the count
// is fresh and stays below limit.
func (w *waitingCounts) reserve(project string, limit int, at time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	e, ok := w.entries[project]
	if !ok || at.Sub(e.at) > waitingFresh || e.n+1 >= limit {
		return false
	}
	e.n++
	w.entries[project] = e
	return true
}

func (w *waitingCounts) set(project string, n int, at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.entries == nil || len(w.entries) > 10_000 {
		w.entries = map[string]waitingCount{} // forget everyone rather than grow
	}
	w.entries[project] = waitingCount{n: n, at: at}
}

// checkWaiting returns ETOOMANY when the project has limit calls waiting.
// Racing enqueues on several replicas may pass the cap by a few: it
// protects the queue, it is not a quota.
func (d *DB) checkWaiting(ctx context.Context, project string, limit int) error {
	at := time.Now()
	if d.waiting.reserve(project, limit, at) {
		return nil
	}
	var waiting int
	err := d.db.GetContext(ctx, &waiting, `SELECT COUNT(*) FROM (SELECT 1 FROM calls WHERE project_id = ? `+
		`AND status IN ('queued', 'failed') LIMIT ?) AS waiting`, project, limit)
	if err != nil {
		return dbError(err)
	}
	if waiting >= limit {
		return picasso.Errorf(picasso.ETOOMANY, "Project has %d calls waiting already; retry later", limit)
	}
	d.waiting.set(project, waiting+1, at)
	return nil
}
