package picasso_test

import (
	"strings"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
)

func TestScheduleRequest(t *testing.T) {
	for _, tc := range []struct {
		input, contentType, body string
	}{
		{``, "", ""},
		{`"good morning"`, "text/plain; charset=utf-8", "good morning"},
		{`{"a":[1,2]}`, "application/json", `{"a":[1,2]}`},
		{`42`, "application/json", `42`},
	} {
		req := (&picasso.Schedule{Input: tc.input}).Request()
		if req.Method != "POST" || req.Header.Get("Content-Type") != tc.contentType || string(req.Body) != tc.body {
			t.Errorf("input %q: %s %q %q", tc.input, req.Method, req.Header.Get("Content-Type"), req.Body)
		}
	}
}

func TestScheduleTickKey(t *testing.T) {
	s := &picasso.Schedule{ID: "0123456789abcdef0123456789abcdef"}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	tick := time.Date(2026, 6, 1, 10, 0, 0, 0, berlin)
	if got, want := s.TickKey(tick), "schedule:0123456789abcdef0123456789abcdef:2026-06-01T08:00:00Z"; got != want {
		t.Errorf("TickKey = %q, want %q", got, want)
	}
}

func TestScheduleValidate(t *testing.T) {
	valid := picasso.Schedule{Name: "n", Pattern: "@hourly"}
	if err := valid.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		change  func(s *picasso.Schedule)
		message string
	}{
		{func(s *picasso.Schedule) { s.Name = "" }, "Missing schedule name"},
		{func(s *picasso.Schedule) { s.Name = strings.Repeat("n", 256) }, "Schedule name must be 255 characters or less"},
		{func(s *picasso.Schedule) { s.Name = "a\x00b" }, "Schedule name must be valid UTF-8 without NUL or line breaks"},
		{func(s *picasso.Schedule) { s.Pattern = "" }, "Missing schedule pattern"},
		{func(s *picasso.Schedule) { s.Count = -1 }, "Schedule count must not be negative"},
		{func(s *picasso.Schedule) { s.Input = "{" }, "Schedule input must be a JSON value"},
		{func(s *picasso.Schedule) { s.Timezone = strings.Repeat("z", 65) }, "Schedule timezone must be 64 characters or less"},
	} {
		s := valid
		tc.change(&s)
		if err := s.Validate(); !picasso.IsCode(err, picasso.EINVALID) || picasso.ErrorMessage(err) != tc.message {
			t.Errorf("Validate() = %v, want %q", err, tc.message)
		}
	}
}
