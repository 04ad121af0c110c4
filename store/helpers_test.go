package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/internal/testclock"
)

const (
	projectA = "0123456789abcdef0123456789abcdef"
	projectB = "fedcba9876543210fedcba9876543210"
)

func testApp(project, name string) *picasso.App {
	return &picasso.App{
		ProjectID:   project,
		Name:        name,
		BackendName: picasso.BackendName(project, name),
		Description: "the " + name + " app",
		Config:      map[string]string{"DB_HOST": "db.example", "EMPTY": ""},
	}
}

func testRoute(appID, path string) *picasso.Route {
	return &picasso.Route{
		AppID:          appID,
		Path:           path,
		Type:           picasso.RouteSync,
		Image:          "registry.example/hello:1.0",
		IsPublic:       true,
		Memory:         256,
		Timeout:        60,
		MaxConcurrency: 3,
		Format:         picasso.FormatHTTP,
		Config:         map[string]string{"GREETING": "hi"},
		Headers:        map[string][]string{"X-Multi": {"a", "b"}, "Content-Type": {"text/plain"}},
		CallbackURL:    "https://hooks.example/done",
		RecordSync:     true,
		MaxAttempts:    5,
	}
}

func mustCreateApp(t *testing.T, s *DB, app *picasso.App) *picasso.App {
	t.Helper()
	if err := s.CreateApp(context.Background(), app); err != nil {
		t.Fatalf("CreateApp(%s): %v", app.Name, err)
	}
	return app
}

func mustCreateRoute(t *testing.T, s *DB, route *picasso.Route) *picasso.Route {
	t.Helper()
	if err := s.CreateRoute(context.Background(), route); err != nil {
		t.Fatalf("CreateRoute(%s): %v", route.Path, err)
	}
	return route
}

// wantError fails unless err is an *picasso.Error with code and message.
func wantError(t *testing.T, err error, code picasso.Code, message string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s %q", code, message)
	}
	if got := picasso.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %s, want %s", err, got, code)
	}
	if got := picasso.ErrorMessage(err); got != message {
		t.Fatalf("error message %q, want %q", got, message)
	}
}

func wantEqual(t *testing.T, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

// wantStamp checks that the store stamped ts between before and now, in
// UTC with the microsecond precision both databases keep.
func wantStamp(t *testing.T, what string, ts, before time.Time) {
	t.Helper()
	if ts.Location() != time.UTC {
		t.Errorf("%s in %v, want UTC", what, ts.Location())
	}
	if ts.Nanosecond()%1000 != 0 {
		t.Errorf("%s %v has sub-microsecond digits", what, ts)
	}
	if ts.Before(before.Truncate(time.Microsecond)) || ts.After(time.Now()) {
		t.Errorf("%s %v is not between %v and now", what, ts, before)
	}
}

func appNames(apps []*picasso.App) []string {
	names := make([]string, len(apps))
	for i, a := range apps {
		names[i] = a.Name
	}
	return names
}

func routePaths(routes []*picasso.Route) []string {
	paths := make([]string, len(routes))
	for i, r := range routes {
		paths[i] = r.Path
	}
	return paths
}

// pinClock makes s stamp rows with a testClock, starting at the real time,
// until the test ends.
func pinClock(t *testing.T, s *DB) *testclock.Clock {
	c := testclock.New()
	old := s.clock
	s.clock = c.Now
	t.Cleanup(func() { s.clock = old })
	return c
}
