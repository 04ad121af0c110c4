package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
)

func TestSchemaVersion(t *testing.T) {
	for _, driverName := range []string{DriverMySQL, DriverSQLite} {
		if v, err := SchemaVersion(driverName); err != nil || v != 11 {
			t.Errorf("SchemaVersion(%s) = %d, %v; want 11", driverName, v, err)
		}
	}
}

func TestMigrationsUpDownUp(t *testing.T) {
	ctx := context.Background()
	forEachDatabase(t, func(t *testing.T, uri string) {
		wantVersion := func(want uint) {
			t.Helper()
			v, dirty, err := MigrationVersion(ctx, uri)
			if err != nil || v != want || dirty {
				t.Fatalf("MigrationVersion() = %d, %v, %v; want %d, clean", v, dirty, err, want)
			}
		}
		wantVersion(0)
		driverName, _, err := ParseURI(uri)
		if err != nil {
			t.Fatal(err)
		}
		latest, err := SchemaVersion(driverName)
		if err != nil {
			t.Fatal(err)
		}

		_, err = Open(ctx, uri, Options{})
		wantError(t, err, picasso.EUNAVAILABLE, fmt.Sprintf("database schema is at version 0, this binary needs %d: "+
			"run picasso-api migrate up or start with --auto-migrate", latest))

		for round := range 2 {
			if err := MigrateUp(ctx, uri); err != nil {
				t.Fatalf("round %d: MigrateUp: %v", round, err)
			}
			wantVersion(latest)
			if err := MigrateUp(ctx, uri); err != nil {
				t.Fatalf("round %d: MigrateUp of a current schema: %v", round, err)
			}

			s, err := Open(ctx, uri, Options{})
			if err != nil {
				t.Fatalf("round %d: Open of a migrated database: %v", round, err)
			}
			if last, err := s.LastChange(ctx); err != nil || last != 0 {
				t.Errorf("round %d: LastChange() = %d, %v; want an empty feed", round, last, err)
			}
			if apps, err := s.ListApps(ctx, projectA, picasso.Page{}); err != nil || len(apps) != 0 {
				t.Errorf("round %d: ListApps() = %d apps, %v; want none", round, len(apps), err)
			}
			app := mustCreateApp(t, s, testApp(projectA, "survivor"))
			mustCreateRoute(t, s, testRoute(app.ID, "/r"))
			s.Close()

			if err := MigrateDown(ctx, uri); err != nil {
				t.Fatalf("round %d: MigrateDown: %v", round, err)
			}
			wantVersion(0)
			if err := MigrateDown(ctx, uri); err != nil {
				t.Fatalf("round %d: MigrateDown of an empty schema: %v", round, err)
			}
		}
		wantNoTablesButMigrate(t, uri)
	})
}

// wantNoTablesButMigrate checks that down migrations leave nothing of
// Picasso's behind: only golang-migrate's own bookkeeping table.
func wantNoTablesButMigrate(t *testing.T, uri string) {
	t.Helper()
	s := openStoreWithoutSchemaCheck(t, uri)
	query := `SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()`
	if strings.HasPrefix(uri, "sqlite") {
		query = `SELECT name FROM sqlite_master WHERE type = 'table'`
	}
	var tables []string
	if err := s.db.Select(&tables, query); err != nil {
		t.Fatal(err)
	}
	wantEqual(t, tables, []string{"schema_migrations"})
}

func openStoreWithoutSchemaCheck(t *testing.T, uri string) *DB {
	t.Helper()
	driverName, dsn, err := ParseURI(uri)
	if err != nil {
		t.Fatal(err)
	}
	db, err := openPool(driverName, dsn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &DB{db: db, clock: time.Now}
}

func TestAutoMigrate(t *testing.T) {
	ctx := context.Background()
	forEachDatabase(t, func(t *testing.T, uri string) {
		for range 2 { // the second Open finds the schema current
			s, err := Open(ctx, uri, Options{AutoMigrate: true})
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
		}
		driverName, _, _ := ParseURI(uri)
		latest, _ := SchemaVersion(driverName)
		v, dirty, err := MigrationVersion(ctx, uri)
		if err != nil || v != latest || dirty {
			t.Fatalf("MigrationVersion() = %d, %v, %v; want %d, clean", v, dirty, err, latest)
		}
	})
}
