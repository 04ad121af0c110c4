package main

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/picasso-faas/picasso/internal/testdb"
)

type scheduleState struct {
	ID        string `json:"id"`
	NextRunAt string `json:"next_run_at"`
	LastRunAt string `json:"last_run_at"`
	Runs      int    `json:"runs"`
}

func getSchedule(t *testing.T, r *replica, id string) scheduleState {
	t.Helper()
	status, _, body := r.request(t, "GET", "/v1/"+project+"/schedules/"+id, "")
	var resp struct{ Schedule scheduleState }
	if status != 200 || json.Unmarshal([]byte(body), &resp) != nil {
		t.Fatalf("get schedule: %d %s", status, body)
	}
	return resp.Schedule
}

type scheduledCall struct {
	IdempotencyKey string `json:"idempotency_key"`
	Trigger        string `json:"trigger"`
	Status         string `json:"status"`
}

func listCalls(t *testing.T, r *replica) []scheduledCall {
	t.Helper()
	status, _, body := r.request(t, "GET", "/v1/"+project+"/calls?limit=1000&route="+url.QueryEscape("/hello"), "")
	var resp struct{ Calls []scheduledCall }
	if status != 200 || json.Unmarshal([]byte(body), &resp) != nil {
		t.Fatalf("list calls: %d %s", status, body)
	}
	return resp.Calls
}

// waitRuns polls until the schedule has run at least n times.
func waitRuns(t *testing.T, r *replica, id string, n int) scheduleState {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		s := getSchedule(t, r, id)
		if s.Runs >= n {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("the schedule ran %d times, want %d; replica logs:\n%s", s.Runs, n, r.logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestScheduleTicksOnceAcrossReplicas runs three replicas on one MariaDB
// database with an "@every 2s" schedule (allowed by a test-only minimum
// interval), kills one of them with SIGKILL half-way, and checks the calls
// table through the calls API: one call per tick, no tick missing, none
// doubled, before and after the kill.
func TestScheduleTicksOnceAcrossReplicas(t *testing.T) {
	uri := testdb.MySQLURI(t)
	const interval = 2 * time.Second
	args := []string{"--auth", "noauth", "--backend", "local", "--functions-dir", "../../examples/functions",
		"--db-uri", uri, "--auto-migrate", "--schedule-min-interval", "1s", "--schedule-scan-period", "100ms",
		"--call-poll-interval", "100ms", "--call-lease-margin", "1s"}

	// A call the killed replica held comes back after its lease (the
	// route's 2 s timeout plus the 1 s margin), within the wait below.
	// The first replica migrates the database and registers the route in
	// its local runtime; the others load the route from the store at start.
	a := startReplica(t, args...)
	p := "/v1/" + project
	a.request(t, "POST", p+"/apps", `{"app":{"name":"ticker"}}`)
	if status, _, body := a.request(t, "POST", p+"/apps/ticker/routes", `{"route":{"path":"/hello","image":"hello","timeout":2}}`); status != 200 {
		t.Fatalf("create route: %d %s", status, body)
	}
	b := startReplica(t, args...)
	c := startReplica(t, args...)

	status, _, body := b.request(t, "POST", p+"/schedules",
		`{"schedule":{"name":"every-2s","app":"ticker","route_path":"/hello","pattern":"@every 2s","input":{"name":"tick"}}}`)
	var created struct{ Schedule scheduleState }
	if status != 200 || json.Unmarshal([]byte(body), &created) != nil {
		t.Fatalf("create schedule: %d %s", status, body)
	}
	id := created.Schedule.ID
	first, err := time.Parse(time.RFC3339, created.Schedule.NextRunAt)
	if err != nil {
		t.Fatalf("next_run_at %q: %v", created.Schedule.NextRunAt, err)
	}

	waitRuns(t, c, id, 3)
	b.kill()
	killedAt := time.Now()
	final := waitRuns(t, c, id, getSchedule(t, c, id).Runs+3)
	calls := listCalls(t, a)

	// Every tick up to the last one that ran has exactly one call, the
	// ticks are contiguous from the first, and some came after the kill.
	last, err := time.Parse(time.RFC3339, final.LastRunAt)
	if err != nil {
		t.Fatalf("last_run_at %q: %v", final.LastRunAt, err)
	}
	var ticks []time.Time
	for _, call := range calls {
		tick, ok := strings.CutPrefix(call.IdempotencyKey, "schedule:"+id+":")
		at, err := time.Parse(time.RFC3339, tick)
		if !ok || err != nil || call.Trigger != "schedule" {
			t.Fatalf("call %+v is not a tick of schedule %s", call, id)
		}
		if !at.After(last) {
			ticks = append(ticks, at)
		}
	}
	slices.SortFunc(ticks, func(x, y time.Time) int { return x.Compare(y) })
	if len(ticks) != final.Runs {
		t.Fatalf("%d calls for the %d ticks that ran: %v", len(ticks), final.Runs, ticks)
	}
	for i, tick := range ticks {
		if want := first.Add(time.Duration(i) * interval); !tick.Equal(want) {
			t.Fatalf("tick %d is %v, want %v: a tick was skipped or doubled (all: %v)", i, tick, want, ticks)
		}
	}
	if !last.After(killedAt.Add(interval)) {
		t.Errorf("the last tick %v is not well after the kill at %v", last, killedAt)
	}

	// The calls of the ticks ran (each once recorded as finished).
	deadline := time.Now().Add(30 * time.Second)
	for _, call := range listCalls(t, a) {
		for call.Status != "succeeded" && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
			call = findCall(t, a, call.IdempotencyKey)
		}
		if call.Status != "succeeded" {
			t.Errorf("call %s is %s, want succeeded", call.IdempotencyKey, call.Status)
		}
	}
}

func findCall(t *testing.T, r *replica, key string) scheduledCall {
	t.Helper()
	for _, call := range listCalls(t, r) {
		if call.IdempotencyKey == key {
			return call
		}
	}
	t.Fatalf("call %s vanished", key)
	return scheduledCall{}
}
