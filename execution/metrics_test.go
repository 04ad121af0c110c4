package execution_test

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/execution"
	"github.com/picasso-faas/picasso/internal/testdb"
)

func TestMetrics(t *testing.T) {
	registry := prometheus.NewRegistry()
	f := newFixture(t, testdb.SQLiteURI(t), map[string]string{"echo": "cat", "fail": "exit 1"}, execution.WorkerConfig{}, nil)
	metrics := execution.NewMetrics(registry, f.db)
	f.worker = execution.NewWorker(execution.WorkerConfig{PollInterval: 10 * time.Millisecond,
		Backoff: execution.Backoff{Base: time.Millisecond, Cap: time.Millisecond}}, f.db, f.db, f.runtime, metrics)
	ok := f.route("/ok", "echo", nil)
	bad := f.route("/bad", "fail", nil)
	okCall := f.enqueue(ok, "x")
	if err := testutil.GatherAndCompare(registry, strings.NewReader(`
# HELP picasso_calls_queued Calls waiting for a worker (queued, or failed with another attempt to come).
# TYPE picasso_calls_queued gauge
picasso_calls_queued 1
`), "picasso_calls_queued"); err != nil {
		t.Error(err)
	}
	f.startWorker()
	dead := f.enqueue(bad, "")
	f.waitFor(dead.ID, picasso.CallDead)
	f.waitFor(okCall.ID, picasso.CallSucceeded)
	// The worker counts an attempt just after it recorded it.
	eventually(t, func() error {
		return testutil.GatherAndCompare(registry, strings.NewReader(`
# HELP picasso_call_attempts_total Attempts of queued calls this replica ran, by outcome (succeeded, failed = to be retried, dead).
# TYPE picasso_call_attempts_total counter
picasso_call_attempts_total{outcome="dead"} 1
picasso_call_attempts_total{outcome="failed"} 2
picasso_call_attempts_total{outcome="succeeded"} 1
`), "picasso_call_attempts_total")
	})
	if err := testutil.GatherAndCompare(registry, strings.NewReader(`
# HELP picasso_callbacks_pending Callbacks of final calls not delivered yet (waiting, being sent, or waiting for a retry).
# TYPE picasso_callbacks_pending gauge
picasso_callbacks_pending 0
# HELP picasso_calls_dead Calls in the dead-letter list.
# TYPE picasso_calls_dead gauge
picasso_calls_dead 1
# HELP picasso_calls_queued Calls waiting for a worker (queued, or failed with another attempt to come).
# TYPE picasso_calls_queued gauge
picasso_calls_queued 0
`), "picasso_callbacks_pending", "picasso_calls_dead", "picasso_calls_queued"); err != nil {
		t.Error(err)
	}
	if n, err := testutil.GatherAndCount(registry, "picasso_call_execution_seconds"); err != nil || n != 1 {
		t.Errorf("execution time series: %d, %v (want one, trigger http)", n, err)
	}
}

func eventually(t *testing.T, check func() error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
