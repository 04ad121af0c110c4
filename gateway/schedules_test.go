package gateway_test

import (
	"strings"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/gateway"
	"github.com/picasso-faas/picasso/internal/testdb"
	"github.com/picasso-faas/picasso/quota"
)

// fixedClock is the time the schedule API plans from.
type fixedClock struct{ now time.Time }

func (c fixedClock) Now() time.Time { return c.now }

var scheduleNow = time.Date(2026, 6, 1, 10, 7, 30, 0, time.UTC)

func withScheduleClock(cfg *gateway.Config, deps *gateway.Deps) {
	deps.Clock = fixedClock{scheduleNow}
}

func withScheduleLimit(n int) harnessOption {
	return withLimits(quota.Defaults{picasso.ResourceSchedules: int64(n)})
}

// newScheduleFixture is app "cron" of project A with route /job.
func newScheduleFixture(t *testing.T, uri string, opts ...harnessOption) *harness {
	h := newHarness(t, uri, append([]harnessOption{withScheduleClock}, opts...)...)
	h.createApp(projA, "member-a", "cron")
	h.createRoute(projA, "member-a", "cron", map[string]any{"path": "/job", "image": "iron/echo"})
	return h
}

func scheduleBody(fields map[string]any) map[string]any {
	s := map[string]any{"name": "nightly", "app": "cron", "route_path": "/job", "pattern": "30 2 * * *"}
	for k, v := range fields {
		s[k] = v
	}
	return map[string]any{"schedule": s}
}

var schedulesURL = "/v1/" + projA + "/schedules"

func (h *harness) createSchedule(fields map[string]any) map[string]any {
	h.t.Helper()
	return h.do(h.t, "POST", schedulesURL, "member-a", scheduleBody(fields)).expect(h.t, 200).JSON(h.t)["schedule"].(map[string]any)
}

func TestScheduleLifecycle(t *testing.T) {
	testdb.Each(t, func(t *testing.T, uri string) {
		h := newScheduleFixture(t, uri)
		created := h.createSchedule(map[string]any{"timezone": "Europe/Berlin", "input": map[string]any{"format": "pdf"}, "count": 3})
		id, _ := created["id"].(string)
		want := map[string]any{
			"name": "nightly", "app": "cron", "route_path": "/job", "pattern": "30 2 * * *", "timezone": "Europe/Berlin",
			"start_at": nil, "count": 3.0, "enabled": true, "runs": 0.0, "last_run_at": nil,
			// 02:30 in Berlin (CEST) on the next day.
			"next_run_at": "2026-06-02T00:30:00.000000Z",
		}
		for k, v := range want {
			if created[k] != v {
				t.Errorf("%s = %#v, want %#v", k, created[k], v)
			}
		}
		if input, _ := created["input"].(map[string]any); input["format"] != "pdf" {
			t.Errorf("input %#v", created["input"])
		}

		got := h.do(t, "GET", schedulesURL+"/"+id, "reader-a", nil).expect(t, 200).JSON(t)["schedule"].(map[string]any)
		if got["next_run_at"] != want["next_run_at"] || got["name"] != "nightly" {
			t.Errorf("get: %v", got)
		}
		list := h.do(t, "GET", schedulesURL, "reader-a", nil).expect(t, 200).JSON(t)["schedules"].([]any)
		if len(list) != 1 || list[0].(map[string]any)["id"] != id {
			t.Errorf("list: %v", list)
		}

		disabled := h.do(t, "PUT", schedulesURL+"/"+id, "member-a", map[string]any{"enabled": false}).expect(t, 200).JSON(t)["schedule"].(map[string]any)
		if disabled["enabled"] != false || disabled["next_run_at"] != nil {
			t.Errorf("disabled: %v", disabled)
		}
		changed := h.do(t, "PUT", schedulesURL+"/"+id, "member-a", map[string]any{
			"enabled": true, "pattern": "@every 2h", "input": "hello", "start_at": "2026-07-01T08:00:00Z",
		}).expect(t, 200).JSON(t)["schedule"].(map[string]any)
		if changed["next_run_at"] != "2026-07-01T08:00:00.000000Z" || changed["input"] != "hello" ||
			changed["start_at"] != "2026-07-01T08:00:00.000000Z" {
			t.Errorf("changed: %v", changed)
		}
		cleared := h.do(t, "PUT", schedulesURL+"/"+id, "member-a", map[string]any{"start_at": nil, "input": nil, "count": 0}).
			expect(t, 200).JSON(t)["schedule"].(map[string]any)
		if cleared["start_at"] != nil || cleared["input"] != nil || cleared["count"] != nil ||
			cleared["next_run_at"] != "2026-06-01T12:07:30.000000Z" {
			t.Errorf("cleared: %v", cleared)
		}

		h.do(t, "DELETE", schedulesURL+"/"+id, "member-a", nil).expect(t, 200)
		h.do(t, "GET", schedulesURL+"/"+id, "member-a", nil).expect(t, 404)
		h.do(t, "DELETE", schedulesURL+"/"+id, "member-a", nil).expect(t, 404)
	})
}

func TestScheduleRolesAndTenancy(t *testing.T) {
	h := newScheduleFixture(t, sqliteURI(t))
	id := h.createSchedule(nil)["id"].(string)
	h.do(t, "POST", schedulesURL, "reader-a", scheduleBody(map[string]any{"name": "other"})).expect(t, 403)
	h.do(t, "PUT", schedulesURL+"/"+id, "reader-a", map[string]any{"enabled": false}).expect(t, 403)
	h.do(t, "DELETE", schedulesURL+"/"+id, "reader-a", nil).expect(t, 403)
	h.do(t, "GET", schedulesURL, "", nil).expect(t, 401)
	h.do(t, "GET", schedulesURL+"/"+id, "member-b", nil).expect(t, 403)

	// Project B names A's schedule id under its own project: not found.
	other := "/v1/" + projB + "/schedules/" + id
	h.do(t, "GET", other, "member-b", nil).expect(t, 404)
	h.do(t, "PUT", other, "member-b", map[string]any{"enabled": false}).expect(t, 404)
	h.do(t, "DELETE", other, "member-b", nil).expect(t, 404)
	// Nor can B target A's app.
	h.do(t, "POST", "/v1/"+projB+"/schedules", "member-b", scheduleBody(nil)).expect(t, 404)
	if list := h.do(t, "GET", "/v1/"+projB+"/schedules", "member-b", nil).expect(t, 200).JSON(t)["schedules"].([]any); len(list) != 0 {
		t.Errorf("project B lists %v", list)
	}
	h.do(t, "GET", schedulesURL+"/"+id, "admin", nil).expect(t, 200)
}

func TestScheduleBadInput(t *testing.T) {
	h := newScheduleFixture(t, sqliteURI(t))
	for _, tc := range []struct {
		fields  map[string]any
		status  int
		message string
	}{
		{map[string]any{"pattern": "every day"}, 400, `Invalid schedule pattern "every day": expected exactly 5 fields, found 2: [every day]`},
		{map[string]any{"pattern": "@every 10s"}, 400, `Invalid schedule pattern "@every 10s": @every must be at least 1m0s`},
		{map[string]any{"timezone": "Europe/Atlantis"}, 400, `Invalid timezone "Europe/Atlantis": must be an IANA time zone name such as Europe/Berlin`},
		{map[string]any{"start_at": "tomorrow"}, 400, `start_at`},
		{map[string]any{"count": -1}, 400, `count`},
		{map[string]any{"cron": "* * * * *"}, 400, `cron`},
		{map[string]any{"name": "a\nb"}, 400, `Schedule name must be valid UTF-8 without NUL or line breaks`},
		{map[string]any{"input": strings.Repeat("x", 70000)}, 400, `Schedule input must be 65536 bytes or less`},
		{map[string]any{"app": "nothing"}, 404, `App nothing not found`},
		{map[string]any{"route_path": "/nothing"}, 404, `Route /nothing not found`},
	} {
		resp := h.do(t, "POST", schedulesURL, "member-a", scheduleBody(tc.fields))
		if resp.Status != tc.status || !strings.Contains(resp.ErrorMessage(t), tc.message) {
			t.Errorf("%v: %d %s, want %d with %q", tc.fields, resp.Status, resp.Body, tc.status, tc.message)
		}
	}
	id := h.createSchedule(nil)["id"].(string)
	resp := h.do(t, "PUT", schedulesURL+"/"+id, "member-a", map[string]any{"pattern": "70 * * * *"})
	if resp.Status != 400 || resp.ErrorMessage(t) != `Invalid schedule pattern "70 * * * *": end of range (70) above maximum (59): 70` {
		t.Errorf("update with a bad pattern: %d %s", resp.Status, resp.Body)
	}
	h.do(t, "PUT", schedulesURL+"/"+id, "member-a", map[string]any{"route_path": "/other"}).expect(t, 400)
	h.do(t, "POST", schedulesURL, "member-a", scheduleBody(nil)).expect(t, 409)
}

func TestScheduleMinimumIntervalIsConfigurable(t *testing.T) {
	h := newScheduleFixture(t, sqliteURI(t), func(cfg *gateway.Config, deps *gateway.Deps) {
		cfg.ScheduleMinInterval = time.Second
	})
	h.createSchedule(map[string]any{"pattern": "@every 2s"})
}

func TestScheduleLimitPerProject(t *testing.T) {
	h := newScheduleFixture(t, sqliteURI(t), withScheduleLimit(2))
	h.createSchedule(map[string]any{"name": "one"})
	h.createSchedule(map[string]any{"name": "two"})
	resp := h.do(t, "POST", schedulesURL, "member-a", scheduleBody(map[string]any{"name": "three"})).expect(t, 403)
	if msg := resp.ErrorMessage(t); msg != "Quota exceeded for function_schedules: requested 1, but already used 2 of 2" {
		t.Errorf("message %q", msg)
	}
}

func TestDeletingARouteDeletesItsSchedules(t *testing.T) {
	h := newScheduleFixture(t, sqliteURI(t))
	id := h.createSchedule(nil)["id"].(string)
	h.do(t, "DELETE", "/v1/"+projA+"/apps/cron/routes/job", "member-a", nil).expect(t, 200)
	h.do(t, "GET", schedulesURL+"/"+id, "member-a", nil).expect(t, 404)
}
