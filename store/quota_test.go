package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
)

// createConcurrently runs create n times at once and returns how many
// succeeded; every failure must be a quota refusal.
func createConcurrently(t *testing.T, n int, create func(i int) error) int {
	t.Helper()
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		succeeded int
	)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			err := create(i)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				succeeded++
			case !picasso.IsCode(err, picasso.EQUOTA):
				t.Errorf("create %d: %v, want success or %s", i, err, picasso.EQUOTA)
			}
		})
	}
	close(start)
	wg.Wait()
	return succeeded
}

func TestConcurrentCreatesAtTheLimit(t *testing.T) {
	ctx := context.Background()
	const limit, attempts = 3, 12
	forEachDatabase(t, func(t *testing.T, uri string) {
		s := openStore(t, uri)

		t.Run("apps", func(t *testing.T) {
			got := createConcurrently(t, attempts, func(i int) error {
				return s.CreateAppWithin(ctx, testApp(projectA, fmt.Sprintf("app-%d", i)), limit)
			})
			if got != limit {
				t.Errorf("%d of %d concurrent creates succeeded, want exactly the limit %d", got, attempts, limit)
			}
			wantUsage(t, s, projectA, picasso.ResourceApps, limit)
		})

		t.Run("routes over several apps", func(t *testing.T) {
			apps := []*picasso.App{
				mustCreateApp(t, s, testApp(projectB, "one")),
				mustCreateApp(t, s, testApp(projectB, "two")),
			}
			got := createConcurrently(t, attempts, func(i int) error {
				route := testRoute(apps[i%2].ID, fmt.Sprintf("/r%d", i))
				return s.CreateRouteWithin(ctx, projectB, route, limit)
			})
			if got != limit {
				t.Errorf("%d of %d concurrent creates succeeded, want exactly the limit %d", got, attempts, limit)
			}
			wantUsage(t, s, projectB, picasso.ResourceRoutes, limit)
		})

		t.Run("triggers", func(t *testing.T) {
			const project = "cccc3333cccc3333cccc3333cccc3333"
			app := mustCreateApp(t, s, testApp(project, "events"))
			mustCreateRoute(t, s, testRoute(app.ID, "/on-event"))
			got := createConcurrently(t, attempts, func(i int) error {
				return s.CreateTrigger(ctx, testTrigger(project, app.ID, "/on-event", fmt.Sprintf("t-%d", i)), limit)
			})
			if got != limit {
				t.Errorf("%d of %d concurrent creates succeeded, want exactly the limit %d", got, attempts, limit)
			}
			wantUsage(t, s, project, picasso.ResourceTriggers, limit)
			err := s.CreateTrigger(ctx, testTrigger(project, app.ID, "/on-event", "one-more"), limit)
			wantError(t, err, picasso.EQUOTA, "Quota exceeded for function_triggers: requested 1, but already used 3 of 3")
		})

		t.Run("schedules", func(t *testing.T) {
			const project = "dddd4444dddd4444dddd4444dddd4444"
			app := mustCreateApp(t, s, testApp(project, "cron"))
			mustCreateRoute(t, s, testRoute(app.ID, "/job"))
			tick := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
			got := createConcurrently(t, attempts, func(i int) error {
				return s.CreateSchedule(ctx, testSchedule(project, app.ID, "/job", fmt.Sprintf("s-%d", i), tick), limit)
			})
			if got != limit {
				t.Errorf("%d of %d concurrent creates succeeded, want exactly the limit %d", got, attempts, limit)
			}
			wantUsage(t, s, project, picasso.ResourceSchedules, limit)
		})
	})
}

func TestQuotaRefusal(t *testing.T) {
	ctx := context.Background()
	forEachDatabase(t, func(t *testing.T, uri string) {
		s := openStore(t, uri)
		mustCreateApp(t, s, testApp(projectA, "first"))

		err := s.CreateAppWithin(ctx, testApp(projectA, "second"), 1)
		wantError(t, err, picasso.EQUOTA, "Quota exceeded for function_apps: requested 1, but already used 1 of 1")
		var limitErr *picasso.LimitError
		if !errors.As(err, &limitErr) || limitErr.Resource != picasso.ResourceApps || limitErr.Limit != 1 || limitErr.Used != 1 {
			t.Errorf("error %#v, want a LimitError naming function_apps, limit 1, used 1", err)
		}
		if _, err := s.GetApp(ctx, projectA, "second"); !picasso.IsCode(err, picasso.ENOTFOUND) {
			t.Errorf("the refused app was stored: %v", err)
		}

		t.Run("another project has its own count", func(t *testing.T) {
			if err := s.CreateAppWithin(ctx, testApp(projectB, "second"), 1); err != nil {
				t.Error(err)
			}
		})
		t.Run("a limit of zero refuses the first", func(t *testing.T) {
			err := s.CreateAppWithin(ctx, testApp("00000000000000000000000000000003", "none"), 0)
			wantError(t, err, picasso.EQUOTA, "Quota exceeded for function_apps: requested 1, but already used 0 of 0")
		})
		t.Run("unlimited", func(t *testing.T) {
			for i := range 3 {
				if err := s.CreateAppWithin(ctx, testApp(projectA, fmt.Sprintf("free-%d", i)), picasso.Unlimited); err != nil {
					t.Fatal(err)
				}
			}
		})
		t.Run("a name clash is still a conflict, not a quota refusal", func(t *testing.T) {
			err := s.CreateAppWithin(ctx, testApp(projectA, "first"), 100)
			wantError(t, err, picasso.ECONFLICT, "App first already exists")
		})
		t.Run("deleting frees a slot", func(t *testing.T) {
			p := "00000000000000000000000000000004"
			app := testApp(p, "gone")
			if err := s.CreateAppWithin(ctx, app, 1); err != nil {
				t.Fatal(err)
			}
			if err := s.DeleteApp(ctx, app.ID); err != nil {
				t.Fatal(err)
			}
			if err := s.CreateAppWithin(ctx, testApp(p, "back"), 1); err != nil {
				t.Error(err)
			}
		})
	})
}

func wantUsage(t *testing.T, s *DB, projectID string, resource picasso.Resource, want int64) {
	t.Helper()
	usage, err := s.Usage(context.Background(), projectID)
	if err != nil {
		t.Fatal(err)
	}
	if usage[resource] != want {
		t.Errorf("Usage()[%s] = %d, want %d (all: %v)", resource, usage[resource], want, usage)
	}
}
