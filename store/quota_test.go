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

		t.Run("code bytes", func(t *testing.T) {
			// Each upload is a different package of the same size to a
			// route of its own, so exactly limit of them fit.
			const project, size = "eeee5555eeee5555eeee5555eeee5555", 100
			app := mustCreateApp(t, s, testApp(project, "code"))
			for i := range attempts {
				mustCreateRoute(t, s, testRoute(app.ID, fmt.Sprintf("/c%d", i)))
			}
			got := createConcurrently(t, attempts, func(i int) error {
				data := packageOf(size, i)
				return s.PutCode(ctx, project, codeVersionOf(app.ID, fmt.Sprintf("/c%d", i), data), data, limit*size)
			})
			if got != limit {
				t.Errorf("%d of %d concurrent uploads succeeded, want exactly %d", got, attempts, limit)
			}
			wantUsage(t, s, project, picasso.ResourceCodeBytes, limit*size)
		})
	})
}

// packageOf returns size bytes that differ for each seed.
func packageOf(size, seed int) []byte {
	data := []byte(fmt.Sprintf("%0*d", size, seed))
	return data[:size]
}

// TestCodeQuota: an upload counts what it adds to the route's current
// package, so replacing code needs room only for the difference.
func TestCodeQuota(t *testing.T) {
	ctx := context.Background()
	const project, limit = "ffff6666ffff6666ffff6666ffff6666", 150
	forEachDatabase(t, func(t *testing.T, uri string) {
		s := openStore(t, uri)
		app := mustCreateApp(t, s, testApp(project, "code"))
		mustCreateRoute(t, s, testRoute(app.ID, "/a"))
		mustCreateRoute(t, s, testRoute(app.ID, "/b"))
		put := func(path string, size, seed int, limit int64) error {
			data := packageOf(size, seed)
			return s.PutCode(ctx, project, codeVersionOf(app.ID, path, data), data, limit)
		}

		if err := put("/a", 100, 1, limit); err != nil {
			t.Fatal(err)
		}
		wantError(t, put("/b", 60, 2, limit), picasso.EQUOTA,
			"Quota exceeded for function_code_bytes: requested 60, but already used 100 of 150")
		var limitErr *picasso.LimitError
		if err := put("/b", 60, 2, limit); !errors.As(err, &limitErr) || limitErr.Resource != picasso.ResourceCodeBytes ||
			limitErr.Limit != limit || limitErr.Used != 100 || limitErr.Requested != 60 {
			t.Errorf("error %#v, want a LimitError naming function_code_bytes, limit 150, used 100, requested 60", err)
		}
		if _, err := s.GetCode(ctx, app.ID, "/b"); !picasso.IsCode(err, picasso.ENOTFOUND) {
			t.Errorf("the refused upload was stored: %v", err)
		}

		// /a's 100 bytes go with its new version: 150 fit exactly.
		if err := put("/a", 150, 3, limit); err != nil {
			t.Errorf("replacing 100 bytes by 150 under a limit of 150: %v", err)
		}
		wantUsage(t, s, project, picasso.ResourceCodeBytes, 150)
		wantError(t, put("/a", 151, 4, limit), picasso.EQUOTA,
			"Quota exceeded for function_code_bytes: requested 1, but already used 150 of 150")

		// Beyond a lowered limit, code may still shrink, not grow.
		if err := put("/a", 120, 5, 100); err != nil {
			t.Errorf("shrinking code beyond the limit: %v", err)
		}
		wantError(t, put("/b", 1, 6, 100), picasso.EQUOTA,
			"Quota exceeded for function_code_bytes: requested 1, but already used 120 of 100")

		// The same bytes on two routes count twice, although stored once.
		data := packageOf(120, 5)
		if err := s.PutCode(ctx, project, codeVersionOf(app.ID, "/b", data), data, picasso.Unlimited); err != nil {
			t.Fatal(err)
		}
		wantUsage(t, s, project, picasso.ResourceCodeBytes, 240)

		// Deleting a route frees its code.
		if err := s.DeleteRoute(ctx, app.ID, "/a"); err != nil {
			t.Fatal(err)
		}
		wantUsage(t, s, project, picasso.ResourceCodeBytes, 120)
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
