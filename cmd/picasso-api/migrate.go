package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/picasso-faas/picasso/store"
)

const migrateUsage = "usage: picasso-api migrate up|down|version [--db-uri URI]"

// runMigrate applies or reverts the embedded migrations, or prints the
// schema version. PICASSO_MIGRATIONS_DB, the original's variable, is
// honoured before PICASSO_DB.
func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(migrateUsage)
	}
	action := args[0]
	fs := flag.NewFlagSet("picasso-api migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	// The URI holds a password: no default shown by --help.
	uri := fs.String("db-uri", "", "database to migrate (env PICASSO_MIGRATIONS_DB or PICASSO_DB, default "+defaultSQLiteURI+")")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	*uri = firstNonEmpty(*uri, getenv("PICASSO_MIGRATIONS_DB"), getenv("PICASSO_DB"), defaultSQLiteURI)
	if _, _, err := store.ParseURI(*uri); err != nil {
		return fmt.Errorf("invalid --db-uri: %w", err)
	}
	if err := checkSQLiteWritable(*uri); err != nil {
		return err
	}
	switch action {
	case "up":
		if err := store.MigrateUp(ctx, *uri); err != nil {
			return err
		}
	case "down":
		if err := store.MigrateDown(ctx, *uri); err != nil {
			return err
		}
	case "version":
	default:
		return errors.New(migrateUsage)
	}
	version, dirty, err := store.MigrationVersion(ctx, *uri)
	if err != nil {
		return err
	}
	state := "clean"
	if dirty {
		state = "dirty: a migration failed half-way; fix the schema by hand, then force the version"
	}
	fmt.Fprintf(stdout, "schema version %d (%s)\n", version, state)
	return nil
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
