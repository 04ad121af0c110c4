package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/picasso-faas/picasso/store"
)

func TestMigrateCommand(t *testing.T) {
	uri := "sqlite://" + filepath.Join(t.TempDir(), "picasso.db")
	want, err := store.SchemaVersion("sqlite")
	if err != nil {
		t.Fatal(err)
	}
	migrate := func(action string) string {
		t.Helper()
		var out bytes.Buffer
		env := map[string]string{"PICASSO_MIGRATIONS_DB": uri}
		if err := run(context.Background(), []string{"picasso-api", "migrate", action}, func(k string) string { return env[k] }, &out, &out); err != nil {
			t.Fatalf("migrate %s: %v", action, err)
		}
		return out.String()
	}
	if out := migrate("up"); !strings.Contains(out, "schema version "+itoa(want)+" (clean)") {
		t.Errorf("after up: %q", out)
	}
	if out := migrate("version"); !strings.Contains(out, "schema version "+itoa(want)) {
		t.Errorf("version: %q", out)
	}
	if out := migrate("down"); !strings.Contains(out, "schema version 0") {
		t.Errorf("after down: %q", out)
	}
	// A server refuses the old schema unless told to migrate.
	err = run(context.Background(), []string{"picasso-api", "--db-uri", uri, "--port", "0"}, func(string) string { return "" }, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "migrate up") {
		t.Errorf("server on an old schema: %v", err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"picasso-api", "migrate", "sideways"}, func(string) string { return "" }, &out, &out); err == nil {
		t.Error("an unknown migrate action was accepted")
	}
}

func itoa(n uint) string { return strconv.FormatUint(uint64(n), 10) }
