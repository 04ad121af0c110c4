package schedule

import (
	"context"
	"net/http"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/internal/testdb"
)

var t0 = time.Date(2026, 6, 1, 10, 0, 30, 0, time.UTC)

func TestRunnerFiresEachTickOnce(t *testing.T) {
	f := newSQLiteFixture(t, t0)
	s := f.create(picasso.Schedule{Pattern: "* * * * *", Input: `{"report":"daily"}`})
	r := f.runner()

	f.scan(r, 0) // not due yet
	f.clock.Set(time.Date(2026, 6, 1, 10, 1, 0, 0, time.UTC))
	f.scan(r, 1)
	f.scan(r, 0) // the same tick again: already advanced
	f.clock.Advance(time.Minute + 10*time.Second)
	f.scan(r, 1)

	first, second := time.Date(2026, 6, 1, 10, 1, 0, 0, time.UTC), time.Date(2026, 6, 1, 10, 2, 0, 0, time.UTC)
	if got, want := f.queue.keys(), []string{s.TickKey(first), s.TickKey(second)}; !reflect.DeepEqual(got, want) {
		t.Fatalf("calls %v, want %v", got, want)
	}
	if want := "schedule:" + s.ID + ":2026-06-01T10:01:00Z"; f.queue.keys()[0] != want {
		t.Errorf("key %q, want %q", f.queue.keys()[0], want)
	}
	call := f.queue.calls[0]
	if call.ProjectID != project || call.AppID != f.app.ID || call.AppName != "cron" || call.RoutePath != "/job" ||
		call.Trigger != picasso.TriggerSchedule || call.Request.Method != http.MethodPost ||
		string(call.Request.Body) != `{"report":"daily"}` || call.Request.Header.Get("Content-Type") != "application/json" {
		t.Errorf("call %+v", call)
	}
	got := f.get(s.ID)
	if got.Runs != 2 || !got.LastRunAt.Equal(second) || !got.NextRunAt.Equal(second.Add(time.Minute)) {
		t.Errorf("after two ticks: runs %d last %v next %v", got.Runs, got.LastRunAt, got.NextRunAt)
	}
}

func TestRunnerCountStopsAfterN(t *testing.T) {
	f := newSQLiteFixture(t, t0)
	s := f.create(picasso.Schedule{Pattern: "@every 1m", Count: 3})
	r := f.runner()
	for range 5 {
		f.clock.Advance(time.Minute)
		r.Scan(context.Background())
	}
	if got := len(f.queue.keys()); got != 3 {
		t.Fatalf("%d calls, want 3: %v", got, f.queue.keys())
	}
	got := f.get(s.ID)
	if got.Runs != 3 || !got.NextRunAt.IsZero() || !got.Finished() {
		t.Errorf("after its count: runs %d next %v", got.Runs, got.NextRunAt)
	}
}

func TestRunnerWaitsForAFutureStart(t *testing.T) {
	f := newSQLiteFixture(t, t0)
	start := time.Date(2026, 6, 3, 9, 0, 0, 0, time.UTC)
	s := f.create(picasso.Schedule{Pattern: "0 * * * *", StartAt: start})
	if !s.NextRunAt.Equal(start) {
		t.Fatalf("next run %v, want the start %v", s.NextRunAt, start)
	}
	r := f.runner()
	for f.clock.Now().Before(start) {
		f.scan(r, 0)
		f.clock.Advance(time.Hour)
	}
	f.clock.Set(start)
	f.scan(r, 1)
	if got := f.queue.keys(); len(got) != 1 || got[0] != s.TickKey(start) {
		t.Errorf("calls %v, want the start's tick", got)
	}
}

func TestRunnerDisableAndEnable(t *testing.T) {
	ctx := context.Background()
	f := newSQLiteFixture(t, t0)
	s := f.create(picasso.Schedule{Pattern: "* * * * *"})
	r := f.runner()

	s.Enabled = false
	if err := f.db.UpdateSchedule(ctx, s); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		f.clock.Advance(time.Minute)
		f.scan(r, 0)
	}

	// Enabling plans afresh from now, as the API does: the ticks missed
	// while disabled are not caught up.
	s.Enabled = true
	if err := Plan(s, f.clock.Now(), time.Second); err != nil {
		t.Fatal(err)
	}
	if err := f.db.UpdateSchedule(ctx, s); err != nil {
		t.Fatal(err)
	}
	f.scan(r, 0)
	f.clock.Advance(time.Minute)
	f.scan(r, 1)
	if got := f.queue.keys(); len(got) != 1 {
		t.Errorf("calls %v, want one after enabling", got)
	}
}

func TestRunnerCatchesUpOnceAfterDowntime(t *testing.T) {
	f := newSQLiteFixture(t, t0)
	s := f.create(picasso.Schedule{Pattern: "* * * * *"})
	missed := s.NextRunAt
	r := f.runner()

	// Every replica was down for three hours: 180 ticks went by.
	f.clock.Advance(3 * time.Hour)
	now := f.clock.Now()
	f.scan(r, 1)
	f.scan(r, 0)
	if got := f.queue.keys(); len(got) != 1 || got[0] != s.TickKey(missed) {
		t.Fatalf("calls %v, want one catch-up run of the first missed tick", got)
	}
	got := f.get(s.ID)
	if want := now.Truncate(time.Minute).Add(time.Minute); !got.NextRunAt.Equal(want) {
		t.Errorf("next run %v, want the first tick after recovery %v", got.NextRunAt, want)
	}
	f.clock.Set(got.NextRunAt)
	f.scan(r, 1)
}

func TestRunnerKeepsTheTickWhenTheQueueFails(t *testing.T) {
	f := newSQLiteFixture(t, t0)
	s := f.create(picasso.Schedule{Pattern: "* * * * *"})
	tick := s.NextRunAt
	r := f.runner()
	f.clock.Set(tick)
	f.queue.setFailure(errQueueDown)
	f.scan(r, 0)
	if got := f.get(s.ID); !got.NextRunAt.Equal(tick) || got.Runs != 0 {
		t.Fatalf("a failed enqueue advanced the schedule: next %v runs %d", got.NextRunAt, got.Runs)
	}
	f.queue.setFailure(nil)
	f.clock.Advance(5 * time.Second)
	f.scan(r, 1)
	if failed, fired := testutil.ToFloat64(r.ticks.WithLabelValues("failed")), testutil.ToFloat64(r.ticks.WithLabelValues("fired")); failed != 1 || fired != 1 {
		t.Errorf("metrics: %v failed, %v fired; want 1 and 1", failed, fired)
	}
	if got := f.queue.keys(); len(got) != 1 || got[0] != s.TickKey(tick) {
		t.Errorf("calls %v, want the kept tick", got)
	}
}

func TestRunnerSendsTextInput(t *testing.T) {
	f := newSQLiteFixture(t, t0)
	f.create(picasso.Schedule{Pattern: "* * * * *", Input: `"good morning"`})
	f.clock.Advance(time.Minute)
	f.scan(f.runner(), 1)
	req := f.queue.calls[0].Request
	if string(req.Body) != "good morning" || req.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Errorf("request %+v", req)
	}
}

// Replicas racing on the same ticks, with one database and one queue, fire
// each tick once between them.
func TestRunnersRacingFireOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, uri string) {
		f := newFixture(t, uri, t0)
		var schedules []*picasso.Schedule
		for _, name := range []string{"a", "b", "c", "d"} {
			schedules = append(schedules, f.create(picasso.Schedule{Name: name, Pattern: "* * * * *"}))
		}
		replicas := []*Runner{f.runner(), f.runner(), f.runner()}
		total := 0
		for range 5 {
			f.clock.Advance(time.Minute)
			var wg sync.WaitGroup
			var mu sync.Mutex
			for _, r := range replicas {
				wg.Go(func() {
					fired, err := r.Scan(context.Background())
					if err != nil {
						t.Error(err)
					}
					mu.Lock()
					total += fired
					mu.Unlock()
				})
			}
			wg.Wait()
		}
		if want := 5 * len(schedules); total != want || len(f.queue.keys()) != want {
			t.Fatalf("replicas claimed %d ticks and enqueued %d calls, want %d each", total, len(f.queue.keys()), want)
		}
		for _, s := range schedules {
			if got := f.get(s.ID); got.Runs != 5 {
				t.Errorf("schedule %s ran %d times, want 5", s.Name, got.Runs)
			}
		}
	})
}

func TestRunnerDrainsMoreThanABatch(t *testing.T) {
	f := newSQLiteFixture(t, t0)
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		f.create(picasso.Schedule{Name: name, Pattern: "* * * * *"})
	}
	r := NewRunner(Options{Store: f.db, Queue: f.queue, Clock: f.clock, Batch: 2})
	f.clock.Advance(time.Minute)
	f.scan(r, 5)
}
