package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestScheduleWalkthrough is the README's schedule example on the
// embedded defaults.
func TestScheduleWalkthrough(t *testing.T) {
	s := start(t, nil, devArgs(t)...)
	p := "/v1/" + project
	s.request(t, "POST", p+"/apps", `{"app":{"name":"demo"}}`)
	s.request(t, "POST", p+"/apps/demo/routes", `{"route":{"path":"/hello","image":"hello","is_public":true}}`)
	status, _, body := s.request(t, "POST", p+"/schedules", `{"schedule":{"name":"morning","app":"demo","route_path":"/hello",
       "pattern":"0 8 * * mon-fri","timezone":"Europe/Berlin",
       "input":{"name":"cron"}}}`)
	if status != 200 {
		t.Fatalf("create schedule: %d %s", status, body)
	}
	var created struct {
		Schedule struct {
			ID        string `json:"id"`
			NextRunAt string `json:"next_run_at"`
			Runs      int    `json:"runs"`
		} `json:"schedule"`
	}
	json.Unmarshal([]byte(body), &created)
	next, err := time.Parse(time.RFC3339, created.Schedule.NextRunAt)
	berlin, _ := time.LoadLocation("Europe/Berlin")
	if err != nil || next.In(berlin).Hour() != 8 || next.In(berlin).Weekday() == time.Saturday || next.In(berlin).Weekday() == time.Sunday || created.Schedule.Runs != 0 {
		t.Errorf("created %s", body)
	}
	if status, _, body := s.request(t, "GET", p+"/schedules", ""); status != 200 || !strings.Contains(body, created.Schedule.ID) {
		t.Errorf("list: %d %s", status, body)
	}
	status, _, body = s.request(t, "PUT", p+"/schedules/"+created.Schedule.ID, `{"enabled":false}`)
	if status != 200 || !strings.Contains(body, `"enabled":false`) || !strings.Contains(body, `"next_run_at":null`) {
		t.Errorf("disable: %d %s", status, body)
	}
}
