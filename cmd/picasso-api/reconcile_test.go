package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/backend/ironfunctionstest"
	"github.com/picasso-faas/picasso/store"
)

// newDriftedSetup is a database and an IronFunctions fake that disagree:
// the database has an app the backend lacks, what a crash between the two
// writes of a create leaves behind. reconcileCmd runs picasso-api
// reconcile on them with the extra arguments.
func newDriftedSetup(t *testing.T) (fake *ironfunctionstest.Server, app *picasso.App, reconcileCmd func(extra ...string) (string, error)) {
	ctx := context.Background()
	fake = ironfunctionstest.New()
	t.Cleanup(fake.Close)
	uri := "sqlite://" + filepath.Join(t.TempDir(), "picasso.db")
	db, err := store.Open(ctx, uri, store.Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	app = &picasso.App{ProjectID: project, Name: "drifted", BackendName: picasso.BackendName(project, "drifted")}
	if err := db.CreateApp(ctx, app); err != nil {
		t.Fatal(err)
	}
	db.Close()
	reconcileCmd = func(extra ...string) (string, error) {
		var out bytes.Buffer
		args := append([]string{"picasso-api", "reconcile", "--db-uri", uri, "--functions-url", fake.URL() + "/v1"}, extra...)
		err := run(ctx, args, func(string) string { return "" }, &out, &out)
		return out.String(), err
	}
	return fake, app, reconcileCmd
}

// TestReconcileCommand reports, repairs and finds nothing left, for every
// way of asking for the repair: --repair is a boolean flag like the
// others, so it also takes a value, and --repair=false only reports.
func TestReconcileCommand(t *testing.T) {
	for _, repair := range []string{"--repair", "--repair=true", "-repair"} {
		t.Run(repair, func(t *testing.T) {
			fake, app, reconcileCmd := newDriftedSetup(t)
			for _, report := range [][]string{nil, {"--repair=false"}} {
				out, err := reconcileCmd(report...)
				if err == nil || !strings.Contains(out, app.BackendName) || !strings.Contains(out, "app missing on backend") {
					t.Fatalf("report %v: %v\n%s", report, err, out)
				}
				if fake.HasApp(app.BackendName) {
					t.Fatalf("a report %v changed the backend", report)
				}
			}
			if out, err := reconcileCmd(repair); err != nil || !strings.Contains(out, `"Repaired":true`) {
				t.Fatalf("repair: %v\n%s", err, out)
			}
			if !fake.HasApp(app.BackendName) {
				t.Fatalf("%s did not create the app on the backend", repair)
			}
			if out, err := reconcileCmd(); err != nil || out != "" {
				t.Fatalf("drift after repair: %v\n%s", err, out)
			}
		})
	}
}
