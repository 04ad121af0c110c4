package store

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
)

func testSchedule(projectID, appID, path, name string, next time.Time) *picasso.Schedule {
	return &picasso.Schedule{
		ProjectID: projectID,
		AppID:     appID,
		RoutePath: path,
		Name:      name,
		Pattern:   "*/5 * * * *",
		Timezone:  "Europe/Berlin",
		StartAt:   time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
		Count:     3,
		Input:     `{"hello":"world"}`,
		Enabled:   true,
		NextRunAt: next,
	}
}

func mustCreateSchedule(t *testing.T, s *DB, sched *picasso.Schedule) *picasso.Schedule {
	t.Helper()
	if err := s.CreateSchedule(context.Background(), sched, picasso.Unlimited); err != nil {
		t.Fatalf("CreateSchedule(%s): %v", sched.Name, err)
	}
	return sched
}

func scheduleNames(schedules []*picasso.Schedule) []string {
	names := make([]string, len(schedules))
	for i, s := range schedules {
		names[i] = s.Name
	}
	return names
}

func TestSchedules(t *testing.T) {
	ctx := context.Background()
	tick := time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC)
	forEachDatabase(t, func(t *testing.T, uri string) {
		s := openStore(t, uri)
		app := mustCreateApp(t, s, testApp(projectA, "cron"))
		mustCreateRoute(t, s, testRoute(app.ID, "/job"))
		mustCreateRoute(t, s, testRoute(app.ID, "/gone"))
		appB := mustCreateApp(t, s, testApp(projectB, "cron"))
		mustCreateRoute(t, s, testRoute(appB.ID, "/job"))

		t.Run("create and get round-trip every field", func(t *testing.T) {
			before := time.Now()
			sched := mustCreateSchedule(t, s, testSchedule(projectA, app.ID, "/job", "nightly", tick))
			wantStamp(t, "CreatedAt", sched.CreatedAt, before)
			got, err := s.GetSchedule(ctx, projectA, sched.ID)
			if err != nil {
				t.Fatal(err)
			}
			sched.AppName = "cron"
			wantEqual(t, got, sched)
		})

		t.Run("unset times are zero", func(t *testing.T) {
			sched := testSchedule(projectA, app.ID, "/job", "open ended", time.Time{})
			sched.StartAt = time.Time{}
			mustCreateSchedule(t, s, sched)
			got, err := s.GetSchedule(ctx, projectA, sched.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !got.StartAt.IsZero() || !got.NextRunAt.IsZero() || !got.LastRunAt.IsZero() {
				t.Errorf("times %v %v %v, want zero", got.StartAt, got.NextRunAt, got.LastRunAt)
			}
		})

		t.Run("names are unique per project", func(t *testing.T) {
			err := s.CreateSchedule(ctx, testSchedule(projectA, app.ID, "/job", "nightly", tick), picasso.Unlimited)
			wantError(t, err, picasso.ECONFLICT, "Schedule nightly already exists")
			mustCreateSchedule(t, s, testSchedule(projectB, appB.ID, "/job", "nightly", tick))
		})

		t.Run("a missing route is not found", func(t *testing.T) {
			err := s.CreateSchedule(ctx, testSchedule(projectA, app.ID, "/nope", "orphan", tick), picasso.Unlimited)
			wantError(t, err, picasso.ENOTFOUND, "Route /nope not found")
		})

		t.Run("projects see only their own schedules", func(t *testing.T) {
			list, err := s.ListSchedules(ctx, projectA, picasso.Page{})
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 2 {
				t.Fatalf("project A lists %v", scheduleNames(list))
			}
			_, err = s.GetSchedule(ctx, projectB, list[0].ID)
			wantError(t, err, picasso.ENOTFOUND, "Schedule "+list[0].ID+" not found")
			wantError(t, s.DeleteSchedule(ctx, projectB, list[0].ID), picasso.ENOTFOUND, "Schedule "+list[0].ID+" not found")
		})

		t.Run("pages follow the id", func(t *testing.T) {
			first, err := s.ListSchedules(ctx, projectA, picasso.Page{Limit: 1})
			if err != nil || len(first) != 1 {
				t.Fatalf("first page %v, %v", first, err)
			}
			second, err := s.ListSchedules(ctx, projectA, picasso.Page{Limit: 5, Marker: first[0].ID})
			if err != nil || len(second) != 1 || second[0].ID <= first[0].ID {
				t.Fatalf("second page %v, %v", second, err)
			}
		})

		t.Run("the project limit counts existing schedules", func(t *testing.T) {
			// Project A has two schedules.
			err := s.CreateSchedule(ctx, testSchedule(projectA, app.ID, "/job", "third", tick), 2)
			wantError(t, err, picasso.EQUOTA, "Quota exceeded for function_schedules: requested 1, but already used 2 of 2")
			if err := s.CreateSchedule(ctx, testSchedule(projectA, app.ID, "/job", "third", tick), 3); err != nil {
				t.Fatalf("under the limit: %v", err)
			}
		})

		t.Run("update writes the client's fields only if unchanged", func(t *testing.T) {
			sched := mustCreateSchedule(t, s, testSchedule(projectA, app.ID, "/job", "edit me", tick))
			stale := *sched
			sched.Name, sched.Pattern, sched.Enabled, sched.NextRunAt = "edited", "@hourly", false, tick.Add(time.Hour)
			if err := s.UpdateSchedule(ctx, sched); err != nil {
				t.Fatal(err)
			}
			got, err := s.GetSchedule(ctx, projectA, sched.ID)
			if err != nil {
				t.Fatal(err)
			}
			sched.AppName = "cron"
			wantEqual(t, got, sched)
			stale.Name = "lost update"
			wantError(t, s.UpdateSchedule(ctx, &stale), picasso.ECONFLICT,
				"Schedule "+sched.ID+" was changed meanwhile; read it again and retry")
		})

		t.Run("due schedules are enabled and at or before now, most overdue first", func(t *testing.T) {
			due, err := s.DueSchedules(ctx, tick.Add(-time.Microsecond), 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range due {
				t.Errorf("due before its tick: %s at %v", d.Name, d.NextRunAt)
			}
			early := mustCreateSchedule(t, s, testSchedule(projectA, app.ID, "/job", "early", tick.Add(-time.Minute)))
			due, err = s.DueSchedules(ctx, tick, 100)
			if err != nil {
				t.Fatal(err)
			}
			if len(due) == 0 || due[0].ID != early.ID {
				t.Fatalf("due %v, want early first", scheduleNames(due))
			}
			for _, d := range due {
				if !d.Enabled || d.NextRunAt.After(tick) || d.AppName == "" {
					t.Errorf("due: %+v", d)
				}
			}
			limited, err := s.DueSchedules(ctx, tick, 1)
			if err != nil || len(limited) != 1 {
				t.Errorf("limit 1: %d, %v", len(limited), err)
			}
		})

		t.Run("advance claims a tick once", func(t *testing.T) {
			sched := mustCreateSchedule(t, s, testSchedule(projectA, app.ID, "/job", "racy", tick))
			next := tick.Add(5 * time.Minute)
			var wins atomic.Int32
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					ok, err := s.AdvanceSchedule(ctx, sched.ID, tick, next)
					if err != nil {
						t.Error(err)
					}
					if ok {
						wins.Add(1)
					}
				})
			}
			wg.Wait()
			if wins.Load() != 1 {
				t.Fatalf("%d replicas claimed the tick, want 1", wins.Load())
			}
			got, err := s.GetSchedule(ctx, projectA, sched.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !got.NextRunAt.Equal(next) || !got.LastRunAt.Equal(tick) || got.Runs != 1 || !got.UpdatedAt.Equal(sched.UpdatedAt) {
				t.Errorf("after the tick: next %v last %v runs %d updated %v", got.NextRunAt, got.LastRunAt, got.Runs, got.UpdatedAt)
			}
			if ok, err := s.AdvanceSchedule(ctx, sched.ID, next, time.Time{}); !ok || err != nil {
				t.Fatalf("last tick: %v, %v", ok, err)
			}
			got, _ = s.GetSchedule(ctx, projectA, sched.ID)
			if !got.NextRunAt.IsZero() || got.Runs != 2 {
				t.Errorf("after the last tick: next %v runs %d", got.NextRunAt, got.Runs)
			}
		})

		t.Run("a disabled schedule is neither due nor advanced", func(t *testing.T) {
			sched := testSchedule(projectA, app.ID, "/job", "off", tick)
			sched.Enabled = false
			mustCreateSchedule(t, s, sched)
			due, err := s.DueSchedules(ctx, tick, 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range due {
				if d.ID == sched.ID {
					t.Error("a disabled schedule is due")
				}
			}
			if ok, err := s.AdvanceSchedule(ctx, sched.ID, tick, tick.Add(time.Minute)); ok || err != nil {
				t.Errorf("advance of a disabled schedule: %v, %v", ok, err)
			}
		})

		t.Run("deleting a route deletes its schedules", func(t *testing.T) {
			sched := mustCreateSchedule(t, s, testSchedule(projectA, app.ID, "/gone", "doomed", tick))
			if err := s.DeleteRoute(ctx, app.ID, "/gone"); err != nil {
				t.Fatal(err)
			}
			_, err := s.GetSchedule(ctx, projectA, sched.ID)
			wantError(t, err, picasso.ENOTFOUND, "Schedule "+sched.ID+" not found")
		})

		t.Run("delete", func(t *testing.T) {
			sched := mustCreateSchedule(t, s, testSchedule(projectA, app.ID, "/job", "bye", tick))
			if err := s.DeleteSchedule(ctx, projectA, sched.ID); err != nil {
				t.Fatal(err)
			}
			wantError(t, s.DeleteSchedule(ctx, projectA, sched.ID), picasso.ENOTFOUND, "Schedule "+sched.ID+" not found")
		})
	})
}
