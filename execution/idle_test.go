package execution_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/execution"
	"github.com/picasso-faas/picasso/internal/testdb"
)

// countingCalls counts the claims a worker makes.
type countingCalls struct {
	picasso.CallStore
	claims atomic.Int64
}

func (c *countingCalls) ClaimCalls(ctx context.Context, owner string, limit int, margin time.Duration, skip []string) ([]*picasso.CallRecord, error) {
	c.claims.Add(1)
	return c.CallStore.ClaimCalls(ctx, owner, limit, margin, skip)
}

// TestIdleWorkerDoesNotSpin: with nothing queued, a worker claims once at
// start and then only at its poll interval (an hour here), however long
// it idles; a claim that found nothing must not trigger the next one.
func TestIdleWorkerDoesNotSpin(t *testing.T) {
	f := newFixture(t, testdb.SQLiteURI(t), map[string]string{"echo": `printf "out:%s" "$(cat)"`}, execution.WorkerConfig{}, nil)
	calls := &countingCalls{CallStore: f.db}
	w := execution.NewWorker(execution.WorkerConfig{PollInterval: time.Hour, LeaseMargin: 2 * time.Second}, calls, f.db, f.runtime, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	defer func() { cancel(); <-done }()

	deadline := time.Now().Add(20 * time.Second)
	for calls.claims.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	if n := calls.claims.Load(); n != 1 {
		t.Fatalf("an idle worker made %d claims, want the one at its start", n)
	}

	// It still wakes for a new call and runs it.
	f.worker = w
	r := f.route("/echo", "echo", nil)
	f.enqueuer = execution.NewEnqueuer(execution.EnqueuerConfig{}, f.db, f.db, w.Wake)
	call := f.enqueue(r, "hi")
	f.waitFor(call.ID, picasso.CallSucceeded)
}
