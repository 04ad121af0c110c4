package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"

	"github.com/go-sql-driver/mysql"
	"github.com/golang-migrate/migrate/v4"
	"github.com/golang-migrate/migrate/v4/database"
	migratemysql "github.com/golang-migrate/migrate/v4/database/mysql"
	migratesqlite "github.com/golang-migrate/migrate/v4/database/sqlite"
	"github.com/golang-migrate/migrate/v4/source"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/migrations"
)

// MigrateUp applies every migration the database lacks.
func MigrateUp(ctx context.Context, uri string) error {
	return migrateURI(ctx, uri, up)
}

func up(m *migrate.Migrate) error { return ignoreNoChange(m.Up()) }

// MigrateDown reverts every migration, dropping all of Picasso's tables.
func MigrateDown(ctx context.Context, uri string) error {
	return migrateURI(ctx, uri, func(m *migrate.Migrate) error {
		return ignoreNoChange(m.Down())
	})
}

// MigrationVersion reports the schema version of the database (0 when no
// migration ran) and whether the last migration failed halfway (dirty).
func MigrationVersion(ctx context.Context, uri string) (version uint, dirty bool, err error) {
	err = migrateURI(ctx, uri, func(m *migrate.Migrate) error {
		version, dirty, err = schemaVersion(m)
		return err
	})
	return version, dirty, err
}

// SchemaVersion is the schema version this binary needs: the newest
// migration it embeds.
func SchemaVersion(driverName string) (uint, error) {
	src, err := migrationSource(driverName)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	version, err := src.First()
	if err != nil {
		return 0, err
	}
	for {
		next, err := src.Next(version)
		if errors.Is(err, fs.ErrNotExist) {
			return version, nil
		}
		if err != nil {
			return 0, err
		}
		version = next
	}
}

func ignoreNoChange(err error) error {
	if errors.Is(err, migrate.ErrNoChange) {
		return nil
	}
	return err
}

func schemaVersion(m *migrate.Migrate) (uint, bool, error) {
	version, dirty, err := m.Version()
	if errors.Is(err, migrate.ErrNilVersion) {
		return 0, false, nil
	}
	return version, dirty, err
}

// migrateURI runs fn over a migrator connected to the database of uri.
func migrateURI(ctx context.Context, uri string, fn func(*migrate.Migrate) error) error {
	driverName, dsn, err := ParseURI(uri)
	if err != nil {
		return picasso.Errorf(picasso.EINVALID, "%s", err)
	}
	var db *sql.DB
	if driverName == DriverSQLite {
		if db, err = sql.Open(driverName, dsn); err != nil {
			return err
		}
		defer db.Close()
	}
	return runMigrator(ctx, driverName, dsn, db, fn)
}

// runMigrator runs fn over a migrator. SQLite migrates through sqliteDB,
// which the caller owns (an in-memory database exists only inside its own
// pool). MySQL migrates through a pool of its own, because migration files
// hold several statements and only that pool allows them: the store's
// pool keeps multi-statements off so that no query can ever smuggle one.
func runMigrator(ctx context.Context, driverName, dsn string, sqliteDB *sql.DB, fn func(*migrate.Migrate) error) error {
	src, err := migrationSource(driverName)
	if err != nil {
		return err
	}
	var target database.Driver
	switch driverName {
	case DriverSQLite:
		target, err = migratesqlite.WithInstance(sqliteDB, &migratesqlite.Config{})
	case DriverMySQL:
		target, err = mysqlMigrationTarget(dsn)
	}
	if err != nil {
		src.Close()
		return unavailable(err)
	}
	m, err := migrate.NewWithInstance("iofs", src, driverName, target)
	if err != nil {
		src.Close()
		return err
	}
	if driverName == DriverMySQL {
		// Closes the migration pool along with the source.
		defer m.Close()
	} else {
		// The SQLite target would close the caller's pool with it.
		defer src.Close()
	}
	stop := context.AfterFunc(ctx, func() {
		select {
		case m.GracefulStop <- true:
		default:
		}
	})
	defer stop()
	if err := fn(m); err != nil {
		return fmt.Errorf("migrating the database: %w", err)
	}
	return ctx.Err()
}

func mysqlMigrationTarget(dsn string) (database.Driver, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	cfg.MultiStatements = true
	db, err := sql.Open(DriverMySQL, cfg.FormatDSN())
	if err != nil {
		return nil, err
	}
	target, err := migratemysql.WithInstance(db, &migratemysql.Config{})
	if err != nil {
		db.Close()
		return nil, err
	}
	return target, nil
}

func migrationSource(driverName string) (source.Driver, error) {
	switch driverName {
	case DriverMySQL:
		return iofs.New(migrations.MySQL, "mysql")
	case DriverSQLite:
		return iofs.New(migrations.SQLite, "sqlite")
	}
	return nil, fmt.Errorf("no migrations for driver %q", driverName)
}

// checkSchema refuses a database whose schema is not the one this binary
// was written for, rather than failing later on a missing column.
func checkSchema(ctx context.Context, driverName, dsn string, sqliteDB *sql.DB) error {
	want, err := SchemaVersion(driverName)
	if err != nil {
		return err
	}
	var have uint
	var dirty bool
	err = runMigrator(ctx, driverName, dsn, sqliteDB, func(m *migrate.Migrate) (err error) {
		have, dirty, err = schemaVersion(m)
		return err
	})
	switch {
	case err != nil:
		return err
	case dirty:
		return picasso.Errorf(picasso.EUNAVAILABLE,
			"database schema is dirty at version %d (a migration failed halfway): repair it, then run picasso-api migrate", have)
	case have < want:
		return picasso.Errorf(picasso.EUNAVAILABLE,
			"database schema is at version %d, this binary needs %d: run picasso-api migrate up or start with --auto-migrate", have, want)
	case have > want:
		return picasso.Errorf(picasso.EUNAVAILABLE,
			"database schema is at version %d, newer than the %d this binary knows: upgrade picasso-api", have, want)
	}
	return nil
}
