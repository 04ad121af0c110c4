package execution_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/execution"
	"github.com/picasso-faas/picasso/internal/testdb"
)

func TestBackoffGrowsWithJitterUpToTheCap(t *testing.T) {
	b := execution.Backoff{Base: 100 * time.Millisecond, Cap: time.Second}
	for attempt, ceiling := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond,
		3: 400 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 40: time.Second} {
		seen := map[time.Duration]bool{}
		for range 50 {
			d := b.Delay(attempt)
			if d < ceiling/2 || d > ceiling {
				t.Fatalf("Delay(%d) = %s, want within [%s, %s]", attempt, d, ceiling/2, ceiling)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Errorf("Delay(%d) has no jitter: %v", attempt, seen)
		}
	}
}

// statusBackend answers every call with the next status of its list (the
// last one repeats); a fake, for the status classes the real backends
// cannot be made to answer on demand.
type statusBackend struct {
	picasso.Backend
	statuses []int
	calls    atomic.Int32
}

func (b *statusBackend) Invoke(ctx context.Context, call *picasso.Call) (*picasso.CallResult, error) {
	n := int(b.calls.Add(1)) - 1
	status := b.statuses[min(n, len(b.statuses)-1)]
	if status == 0 {
		return nil, picasso.Errorf(picasso.EUNAVAILABLE, "Backend unavailable")
	}
	return &picasso.CallResult{Status: status, Body: io.NopCloser(strings.NewReader(http.StatusText(status)))}, nil
}

func TestWhatIsRetried(t *testing.T) {
	cases := []struct {
		name     string
		statuses []int
		want     picasso.CallStatus
		attempts int
	}{
		{"a 4xx is final", []int{404}, picasso.CallDead, 1},
		{"a 5xx is retried until it passes", []int{500, 503, 200}, picasso.CallSucceeded, 3},
		{"an unavailable backend is retried", []int{0, 201}, picasso.CallSucceeded, 2},
		{"retries end with the last attempt", []int{502}, picasso.CallDead, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, testdb.SQLiteURI(t), nil, execution.WorkerConfig{}, nil)
			backend := &statusBackend{statuses: c.statuses}
			f.worker = execution.NewWorker(execution.WorkerConfig{PollInterval: 10 * time.Millisecond,
				Backoff: execution.Backoff{Base: time.Millisecond, Cap: 5 * time.Millisecond}}, f.db, f.db, backend, nil)
			call := f.enqueue(f.route("/s", "s", nil), "")
			f.startWorker()
			done := f.waitFor(call.ID, c.want)
			if done.Attempt != c.attempts || int(backend.calls.Load()) != c.attempts {
				t.Errorf("attempt %d after %d calls, want %d", done.Attempt, backend.calls.Load(), c.attempts)
			}
		})
	}
}
