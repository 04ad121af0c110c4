// Package calltest is a picasso.CallQueue in memory for tests of the
// code that creates calls: it honours idempotency keys exactly as the
// contract says, and can be told to fail.
package calltest

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/picasso-faas/picasso"
)

// Recorder records enqueued calls.
type Recorder struct {
	mu    sync.Mutex
	calls []*picasso.CallRecord
	byKey map[string]*picasso.CallRecord
	// Fail, when set, is asked before each enqueue; a non-nil error is
	// returned instead of recording the call.
	Fail func(rec *picasso.CallRecord) error
}

var _ picasso.CallQueue = (*Recorder)(nil)

func New() *Recorder { return &Recorder{byKey: map[string]*picasso.CallRecord{}} }

func (r *Recorder) Enqueue(ctx context.Context, rec *picasso.CallRecord) (*picasso.CallRecord, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Fail != nil {
		if err := r.Fail(rec); err != nil {
			return nil, false, err
		}
	}
	key := rec.ProjectID + "\x00" + rec.IdempotencyKey
	if prev, ok := r.byKey[key]; ok && rec.IdempotencyKey != "" {
		return prev, false, nil
	}
	c := *rec
	c.ID = strconv.Itoa(len(r.calls) + 1)
	c.Status, c.Attempt, c.CreatedAt = picasso.CallQueued, 1, time.Now().UTC()
	r.calls = append(r.calls, &c)
	r.byKey[key] = &c
	return &c, true, nil
}

// Calls returns the recorded calls in order.
func (r *Recorder) Calls() []*picasso.CallRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*picasso.CallRecord(nil), r.calls...)
}

// WaitFor polls until n calls are recorded or the deadline passes, and
// returns the calls recorded by then.
func (r *Recorder) WaitFor(n int, deadline time.Duration) []*picasso.CallRecord {
	end := time.Now().Add(deadline)
	for time.Now().Before(end) {
		if calls := r.Calls(); len(calls) >= n {
			return calls
		}
		time.Sleep(20 * time.Millisecond)
	}
	return r.Calls()
}
