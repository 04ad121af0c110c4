package execution_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/execution"
	"github.com/picasso-faas/picasso/internal/testdb"
	"github.com/picasso-faas/picasso/quota"
)

// limitsByProject gives each project its own limits; others are unlimited.
type limitsByProject map[string]quota.Defaults

func (l limitsByProject) Limit(ctx context.Context, projectID string, resource picasso.Resource) (int64, error) {
	if limits, ok := l[projectID]; ok {
		return limits.Limit(ctx, projectID, resource)
	}
	return picasso.Unlimited, nil
}

// counted appends a line to its COUNT file for every run.
const counted = `echo run >> "$COUNT"
printf done`

// TestAsyncCallsWaitForTheProjectsConcurrency: with its one slot taken by
// a sync call held open, a project's queued calls go back to the queue
// (queued, no attempt used) rather than run or fail, while another
// project's calls run; once the slot is free they run, each as its first
// attempt.
func TestAsyncCallsWaitForTheProjectsConcurrency(t *testing.T) {
	const other = "fedcba9876543210fedcba9876543210"
	testdb.Each(t, func(t *testing.T, uri string) {
		ctx := context.Background()
		gate := quota.NewGate(quota.GateOptions{Limits: limitsByProject{
			project: {picasso.ResourceConcurrency: 1},
		}})
		var metrics *execution.Metrics // set before the worker starts
		f := newFixture(t, uri, map[string]string{"counted": counted},
			execution.WorkerConfig{Gate: gate, Deferred: func(r picasso.Resource) { metrics.Deferred(r) }}, nil)
		registry := prometheus.NewRegistry()
		metrics = execution.NewMetrics(registry, f.db)
		countA, countB := filepath.Join(f.dir, "count-a"), filepath.Join(f.dir, "count-b")
		routeA := f.route("/a", "counted", map[string]string{"COUNT": countA})

		appB := &picasso.App{ProjectID: other, Name: "jobs", BackendName: picasso.BackendName(other, "jobs")}
		if err := f.db.CreateApp(ctx, appB); err != nil {
			t.Fatal(err)
		}
		routeB := &picasso.Route{AppID: appB.ID, Path: "/b", Image: "counted", Type: picasso.RouteAsync,
			Config: map[string]string{"COUNT": countB}}
		routeB.ApplyDefaults()
		if err := f.db.CreateRoute(ctx, routeB); err != nil {
			t.Fatal(err)
		}

		// A sync call of the project holds its only slot.
		releaseSync, err := gate.Admit(ctx, project)
		if err != nil {
			t.Fatal(err)
		}
		var callsA []*picasso.CallRecord
		for range 3 {
			callsA = append(callsA, f.enqueue(routeA, "a"))
		}
		var callsB []*picasso.CallRecord
		for range 2 {
			call, _, err := f.enqueuer.Enqueue(ctx, &picasso.CallRecord{ProjectID: other, AppID: appB.ID, AppName: appB.Name,
				RoutePath: routeB.Path, Trigger: picasso.TriggerHTTP, Request: picasso.CallRequest{Method: "POST"}})
			if err != nil {
				t.Fatal(err)
			}
			callsB = append(callsB, call)
		}
		f.startWorker()

		for _, call := range callsB {
			got := waitForCall(t, f, other, call.ID, picasso.CallSucceeded)
			if got.Attempt != 1 {
				t.Errorf("B's call ran as attempt %d, want 1", got.Attempt)
			}
		}
		// Each of A's calls was claimed and handed back: queued, due
		// later than it was made, its attempt not counted.
		for _, call := range callsA {
			waitUntil(t, func() bool {
				got := f.get(call.ID)
				if got.Status.Final() || got.Status == picasso.CallFailed {
					t.Fatalf("A's call ended while A was at its limit: %+v", got)
				}
				return got.Status == picasso.CallQueued && got.Attempt == 0 && got.NotBefore.After(got.CreatedAt)
			})
		}
		if _, err := os.Stat(countA); !os.IsNotExist(err) {
			t.Errorf("A's function ran while A was at its limit (%v)", err)
		}
		if n := gate.InFlight(project); n != 1 {
			t.Errorf("A has %d calls in flight, want the sync one", n)
		}
		if n := deferrals(t, registry, picasso.ResourceConcurrency); n < float64(len(callsA)) {
			t.Errorf("%v deferrals counted, want at least one per call of A (%d)", n, len(callsA))
		}

		releaseSync()
		for _, call := range callsA {
			if got := f.waitFor(call.ID, picasso.CallSucceeded); got.Attempt != 1 || string(got.Result) != "done" {
				t.Errorf("A's call after the slot freed: attempt %d, result %q; want attempt 1", got.Attempt, got.Result)
			}
		}
		if runs := countLines(t, countA); runs != 3 {
			t.Errorf("A's function ran %d times, want 3", runs)
		}
		waitUntil(t, func() bool { return gate.InFlight(project) == 0 })
	})
}

// deferrals reads picasso_call_deferrals_total for resource.
func deferrals(t *testing.T, registry *prometheus.Registry, resource picasso.Resource) float64 {
	t.Helper()
	families, err := registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, family := range families {
		if family.GetName() != "picasso_call_deferrals_total" {
			continue
		}
		for _, m := range family.GetMetric() {
			for _, label := range m.GetLabel() {
				if label.GetName() == "resource" && label.GetValue() == string(resource) {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

func waitForCall(t *testing.T, f *fixture, projectID, id string, status picasso.CallStatus) *picasso.CallRecord {
	t.Helper()
	var call *picasso.CallRecord
	waitUntil(t, func() bool {
		var err error
		if call, err = f.db.GetCall(context.Background(), projectID, id); err != nil {
			t.Fatal(err)
		}
		return call.Status == status
	})
	return call
}

// waitUntil polls cond with a generous deadline.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 20 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
