package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"mime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/backend/ironfunctions"
	"github.com/picasso-faas/picasso/reconcile"
)

// Helpers of the hostile-input, isolation, fault and concurrency tests.
// They report to the test they are given, so they may run in subtests.

// jsonError reports why r is not a JSON error envelope with a message,
// or "" when it is one.
func (r *response) jsonError() string {
	if mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mediaType != "application/json" {
		return "Content-Type " + r.Header.Get("Content-Type")
	}
	var body struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		return "not JSON: " + err.Error()
	}
	if body.Error.Message == "" {
		return "no error.message"
	}
	return ""
}

// expectError fails t unless r has the status and is a JSON error.
func (r *response) expectError(t testing.TB, status int) {
	t.Helper()
	if r.Status != status {
		t.Errorf("status %d, want %d: %.300s", r.Status, status, r.Body)
		return
	}
	if why := r.jsonError(); why != "" {
		t.Errorf("status %d is not a JSON error (%s): %.300s", r.Status, why, r.Body)
	}
}

// expectStatus reports an error unless r has the status; unlike expect it
// may be called from any goroutine.
func (r *response) expectStatus(t testing.TB, status int) {
	t.Helper()
	if r.Status != status {
		t.Errorf("status %d, want %d: %.300s", r.Status, status, r.Body)
	}
}

// expectClientError fails t unless r is a 4xx JSON error.
func (r *response) expectClientError(t testing.TB) {
	t.Helper()
	if r.Status < 400 || r.Status > 499 {
		t.Errorf("status %d, want 4xx: %.300s", r.Status, r.Body)
		return
	}
	if why := r.jsonError(); why != "" {
		t.Errorf("status %d is not a JSON error (%s): %.300s", r.Status, why, r.Body)
	}
}

// inventory is a backend client on the harness's fake, for the reconciler
// and for state dumps.
func (h *harness) inventory(t testing.TB) *ironfunctions.Client {
	t.Helper()
	c, err := ironfunctions.New(h.fake.URL(), ironfunctions.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// state dumps every app and route of the store and of the backend, with
// every field and timestamp: two equal dumps mean nothing changed.
func (h *harness) state(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	backend := h.inventory(t)
	var dump bytes.Buffer
	enc := json.NewEncoder(&dump)
	apps, err := h.db.ListAllApps(ctx, picasso.Page{Limit: picasso.MaxPageSize})
	if err != nil {
		t.Fatalf("list store apps: %v", err)
	}
	for _, app := range apps {
		routes, err := h.db.ListRoutes(ctx, app.ID, picasso.Page{Limit: picasso.MaxPageSize})
		if err != nil {
			t.Fatalf("list store routes: %v", err)
		}
		enc.Encode(app)
		enc.Encode(routes)
		schedules, err := h.db.ListSchedules(ctx, app.ProjectID, picasso.Page{Limit: picasso.MaxPageSize})
		if err != nil {
			t.Fatalf("list store schedules: %v", err)
		}
		enc.Encode(schedules)
	}
	names, err := backend.ListApps(ctx)
	if err != nil {
		t.Fatalf("list backend apps: %v", err)
	}
	slices.Sort(names)
	for _, name := range names {
		app, err := backend.GetApp(ctx, name)
		if err != nil {
			t.Fatalf("backend app %s: %v", name, err)
		}
		routes, err := backend.ListRoutes(ctx, app)
		if err != nil {
			t.Fatalf("backend routes of %s: %v", name, err)
		}
		slices.SortFunc(routes, func(a, b *picasso.Route) int { return strings.Compare(a.Path, b.Path) })
		enc.Encode(app)
		enc.Encode(routes)
	}
	return dump.String()
}

// expectInSync fails t unless the reconciler finds no drift between the
// store and the backend.
func (h *harness) expectInSync(t testing.TB) {
	t.Helper()
	drifts, err := reconcile.Run(context.Background(), h.db, h.inventory(t), false)
	if err != nil {
		t.Fatalf("reconcile: %v", err)
	}
	for _, d := range drifts {
		t.Errorf("store and backend disagree: %+v", d)
	}
}
